/**
 * @module
 * A benchmark's databases: each one created empty in the benchmark's own embedded cluster.
 */
import type pg from 'pg';

/** Drops and creates database `name` through `admin`; returns its URL (the admin URL's credentials). */
export async function freshDatabase(admin: pg.Client, adminUrl: string, name: string): Promise<string> {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
