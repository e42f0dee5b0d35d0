import { APP_DATABASE, HASURA_DB_ROLE } from "../../core/naming.js";

/**
 * Run once, as a superuser in the app database, when the Cluster is made: pgcrypto needs a superuser,
 * and so does a schema owned by another role. The migrations run as the owner `app`, which reads and
 * updates Hasura's migration record (hdb_catalog.hdb_version cli_state) that `hasura` creates later:
 * hence the default privileges. tests/program/cnpg-bootstrap.test.ts runs this SQL and the runner as `app`.
 */
export const CNPG_BOOTSTRAP_SQL = [
  "CREATE EXTENSION IF NOT EXISTS pgcrypto",
  `CREATE ROLE ${HASURA_DB_ROLE} LOGIN`,
  `CREATE SCHEMA IF NOT EXISTS hdb_catalog AUTHORIZATION ${HASURA_DB_ROLE}`,
  `GRANT CONNECT ON DATABASE ${APP_DATABASE} TO ${HASURA_DB_ROLE}`,
  `GRANT USAGE ON SCHEMA public TO ${HASURA_DB_ROLE}`,
  `GRANT USAGE ON SCHEMA hdb_catalog TO ${APP_DATABASE}`,
  `ALTER DEFAULT PRIVILEGES FOR ROLE ${HASURA_DB_ROLE} IN SCHEMA hdb_catalog GRANT SELECT, UPDATE ON TABLES TO ${APP_DATABASE}`,
];
