// What every sub-command receives from the entry point: where the installed package lives.

/** Paths of the installed package, found once by the entry point. */
export interface CommandContext {
  /** The folder holding cli.js and filter-worker.js. */
  readonly distDir: string;
  /** The bundled configuration tree (config/ of the package). */
  readonly bundledConfigDir: string;
}
