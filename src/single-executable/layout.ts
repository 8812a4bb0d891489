// Where the files that are not compiled TypeScript live: the native addon and
// the built dashboard. In a checkout they sit at their build paths; in the
// single executable (scripts/build-binary.js) every file is unpacked flat into
// one folder, next to the bundled JavaScript that asks for it.

import { join } from 'node:path';

/** Replaced by `true` when scripts/build-binary.js bundles the sources. */
declare const TICKFLOW_BUNDLED: boolean | undefined;

/** True inside the bundle that the single executable unpacks and runs. */
export const BUNDLED: boolean = typeof TICKFLOW_BUNDLED === 'boolean' && TICKFLOW_BUNDLED;

/** The checkout root, from dist/src/single-executable/ where this file runs when compiled. */
const CHECKOUT_ROOT = join(__dirname, '..', '..', '..');

/**
 * A file or folder of the package: `checkoutPath` (relative to the checkout
 * root) when running from a checkout, `bundledName` in the unpacked folder
 * when running as the single executable. In a bundle `__dirname` is the
 * folder of the bundle file itself.
 */
export function packagePath(checkoutPath: string, bundledName: string): string {
  return BUNDLED ? join(__dirname, bundledName) : join(CHECKOUT_ROOT, checkoutPath);
}
