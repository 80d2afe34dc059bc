// Zephyr over h2 (TLS, ALPN h2 then http/1.1), listening on PORT; certificate and key from
// TLS_CERT/TLS_KEY, else a self-signed pair made at start.
import { serveH2 } from './zephyr-h2-app.mjs';

await serveH2(true);
