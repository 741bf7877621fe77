// TenantDb lives in @app/platform (the export workers use it too); this keeps `@app/api` paths working.
export { TenantDb } from '@app/platform';
