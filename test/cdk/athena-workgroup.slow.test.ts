import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaWorkgroup } from '../../cdk/lib/constructs/athena-workgroup.ts';

let dir: string;

function workgroupTemplate(queriesDirectory: string, removalPolicy?: RemovalPolicy): Template {
  const stack = new Stack(new App(), 'Test');
  const bucket = s3.Bucket.fromBucketName(stack, 'Bucket', 'lake-bucket');
  new AthenaWorkgroup(stack, 'Athena', {
    bucket,
    databaseName: 'totesys_lake',
    queriesDirectory,
    removalPolicy,
  });
  return Template.fromStack(stack);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'totesys-adhoc-'));
  mkdirSync(join(dir, 'adhoc'));
  writeFileSync(
    join(dir, 'adhoc', 'sales-by-day.sql'),
    'SELECT dt, count(*) FROM fact_sales_order GROUP BY dt\n',
  );
  writeFileSync(join(dir, 'adhoc', 'empty.sql'), '\n');
  writeFileSync(join(dir, 'adhoc', 'notes.md'), 'not a query');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('AthenaWorkgroup', () => {
  it('publishes every non-empty .sql file of the directory as a named query in the workgroup', () => {
    const template = workgroupTemplate(join(dir, 'adhoc'));
    template.resourceCountIs('AWS::Athena::NamedQuery', 1);
    template.hasResourceProperties('AWS::Athena::NamedQuery', {
      Name: 'sales-by-day',
      Database: 'totesys_lake',
      WorkGroup: 'totesys',
      QueryString: 'SELECT dt, count(*) FROM fact_sales_order GROUP BY dt',
    });
  });

  it('tolerates a queries directory that does not exist yet', () => {
    const template = workgroupTemplate(join(dir, 'missing'));
    template.resourceCountIs('AWS::Athena::NamedQuery', 0);
    template.resourceCountIs('AWS::Athena::WorkGroup', 1);
  });

  it('keeps the workgroup and its history on stack deletion unless DESTROY is asked for', () => {
    const kept = workgroupTemplate(join(dir, 'missing'));
    expect(Object.values(kept.findResources('AWS::Athena::WorkGroup'))[0]?.DeletionPolicy).toBe('Retain');
    const destroyed = workgroupTemplate(join(dir, 'missing'), RemovalPolicy.DESTROY);
    destroyed.hasResourceProperties('AWS::Athena::WorkGroup', { RecursiveDeleteOption: true });
  });
});
