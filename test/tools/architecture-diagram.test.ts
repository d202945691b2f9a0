import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FOLDER_DEPENDENCIES, layerEdges } from '../../tools/folder-dependencies.ts';

const ROOT = new URL('../../', import.meta.url);
const README = readFileSync(new URL('README.md', ROOT), 'utf8');

/** The README's Mermaid diagrams, in order. */
const diagrams = [...README.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
const layers = diagrams.find((diagram) => diagram.startsWith('flowchart BT')) ?? '';

/** Folders beside the layers, not drawn in the layers diagram. */
const BESIDE = new Set(['test', 'testing', 'bench', 'tools', 'package.json']);

describe("the README's architecture diagrams", () => {
  it('draw the data flow and the layers in Mermaid', () => {
    expect(diagrams).toHaveLength(2);
    expect(diagrams[0]).toMatch(/^flowchart TD/);
    expect(layers).not.toBe('');
  });

  it('name only folders that exist', () => {
    const named = new Set(
      diagrams.flatMap((diagram) =>
        [...diagram.matchAll(/(?<![\w./=<-])([a-z][a-z0-9-]*(?:\/[a-z][a-z0-9-]*)*)\//g)].map((m) => m[1]!),
      ),
    );

    expect(named.size).toBeGreaterThan(10);
    expect([...named].filter((folder) => !existsSync(new URL(`${folder}/`, ROOT)))).toEqual([]);
  });

  it('draw the layers exactly as the folder dependency rule implies them', () => {
    const nodes = new Map(
      [...layers.matchAll(/^\s*(\w+)\["([^"]+)\/"\]$/gm)].map((m) => [m[1]!, m[2]!] as const),
    );
    const drawn = [...layers.matchAll(/^\s*(\w+) --> (\w+)$/gm)]
      .map((m): [string, string] => [nodes.get(m[1]!) ?? `?${m[1]}`, nodes.get(m[2]!) ?? `?${m[2]}`])
      .sort((a, b) => a.join('>').localeCompare(b.join('>')));
    const folders = Object.keys(FOLDER_DEPENDENCIES).filter((folder) => !BESIDE.has(folder));

    expect([...nodes.values()].sort()).toEqual([...folders].sort());
    expect(drawn).toEqual(layerEdges(folders));
  });
});
