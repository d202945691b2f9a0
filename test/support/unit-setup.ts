// Setup file of the `unit` project: no PostgreSQL in this layer (see no-postgres.ts).
import { refusePostgresConnections } from './no-postgres.ts';

refusePostgresConnections();
