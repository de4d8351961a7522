// The admin console's operations (`@moim/sdk/admin`): apart from the package's main module, so
// the apps' bundles do not carry them.
export * from './generated/admin';
