/** Writes a self-signed EC P-256 certificate and key (PEM) with openssl; returns their paths. */
export function selfSignedCertificate(options: {
  cert: string;
  key: string;
  /** Default `localhost`. */
  cn?: string;
  /** Default `DNS:localhost,IP:127.0.0.1`. */
  san?: string;
  /** Default 2. */
  days?: number;
}): { cert: string; key: string };
