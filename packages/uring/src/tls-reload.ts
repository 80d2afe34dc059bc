// Certificate reload for both engines: by an API call with new options, or on SIGHUP (nginx's
// convention) by reading the listener's own options again. A reload changes what new handshakes
// get; open connections keep theirs. A bad reload leaves the old certificates in force.

import { ZephyrEngineError } from './errors.js';
import { type ResolvedTlsOptions, resolveTlsOptions, type TlsOptions } from './tls-options.js';

/** Holds a listener's TLS options and applies reloads to its engine. */
export class TlsReloader {
  private source: TlsOptions;
  private readonly onSighup = (): void => {
    this.reload().catch((err: unknown) => {
      console.warn(
        `zephyr: TLS reload on SIGHUP failed, the old certificates stay in force: ${(err as Error).message}`,
      );
    });
  };

  /** `apply` hands resolved options to the engine (and throws if the engine refuses them). */
  constructor(
    source: TlsOptions,
    private readonly apply: (tls: ResolvedTlsOptions) => void,
  ) {
    this.source = source;
    process.on('SIGHUP', this.onSighup);
  }

  /** Reads `next` (or the options in force, again) and applies them. */
  async reload(next?: TlsOptions): Promise<void> {
    const resolved = resolveTlsOptions(next ?? this.source);
    try {
      this.apply(resolved);
    } catch (err) {
      throw new ZephyrEngineError(
        'ZEPHYR_ERR_INVALID_ARGUMENT',
        `tls reload refused, the old certificates stay in force: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (next !== undefined) this.source = next;
  }

  /** Stops listening for SIGHUP (the listener closed). */
  dispose(): void {
    process.off('SIGHUP', this.onSighup);
  }
}

/** What `reloadTls` does on a plaintext listener. */
export function refuseTlsReload(): Promise<never> {
  return Promise.reject(
    new ZephyrEngineError('ZEPHYR_ERR_UNSUPPORTED_OPTION', 'reloadTls: this listener does not serve TLS'),
  );
}
