/**
 * Circuits partitioned between the nodes of a cluster by CIC range (cluster.nodes): a node
 * works only its own ranges of each trunk group; the SG (lab: the tandem simulator) routes an
 * ISUP message to the node owning its CIC.
 */
import { SoftswitchError } from '../errors.js';
import type { ClusterConfig } from './config.js';

export interface CicRange {
  trunkGroup: string;
  first: number;
  count: number;
}

interface TrunkGroupCics {
  id: string;
  cics: { first: number; count: number };
}

/**
 * Checks the partition (each range inside its trunk group, no CIC owned twice) and returns the
 * trunk groups as `node` works them: its range of each (a listed node needs one in every trunk group).
 * A node not listed, or no cluster.nodes: the trunk groups as configured.
 */
export function ownTrunkGroups<T extends TrunkGroupCics>(trunkGroups: T[], nodes: ClusterConfig['nodes'], node: string): T[] {
  checkPartition(trunkGroups, nodes);
  const me = nodes.find((n) => n.name === node);
  if (!me) return trunkGroups;
  const out: T[] = [];
  for (const tg of trunkGroups) {
    const mine = me.cics.filter((r) => r.trunkGroup === tg.id);
    if (mine.length === 0) throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `cluster.nodes.${node}.cics: no range of trunk group ${tg.id} (each node works a range of every trunk group)`);
    if (mine.length > 1) throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `cluster.nodes.${node}.cics: one range per trunk group (${tg.id} has ${mine.length})`);
    out.push({ ...tg, cics: { first: mine[0].first, count: mine[0].count } });
  }
  return out;
}

export function checkPartition(trunkGroups: TrunkGroupCics[], nodes: ClusterConfig['nodes']): void {
  const owner = new Map<string, string>();
  const names = new Set<string>();
  nodes.forEach((n, i) => {
    if (names.has(n.name)) throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `cluster.nodes.${i}.name: "${n.name}" is listed twice`);
    names.add(n.name);
    n.cics.forEach((r, j) => {
      const key = `cluster.nodes.${i}.cics.${j}`;
      const tg = trunkGroups.find((t) => t.id === r.trunkGroup);
      if (!tg) throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `${key}.trunkGroup: no trunk group "${r.trunkGroup}" in trunkGroups`);
      if (r.first < tg.cics.first || r.first + r.count > tg.cics.first + tg.cics.count) {
        throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `${key}: CICs ${r.first}-${r.first + r.count - 1} are not all in trunk group ${tg.id} (${tg.cics.first}-${tg.cics.first + tg.cics.count - 1})`);
      }
      for (let c = r.first; c < r.first + r.count; c++) {
        const k = `${r.trunkGroup}/${c}`;
        const prev = owner.get(k);
        if (prev) throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `${key}: CIC ${c} of ${r.trunkGroup} is owned by node ${prev} already`);
        owner.set(k, n.name);
      }
    });
  });
}

/** The node owning each CIC (CICs are unique between one pair of point codes, so the CIC alone decides). */
export function cicOwners(nodes: ClusterConfig['nodes']): Map<number, string> {
  const out = new Map<number, string>();
  for (const n of nodes) for (const r of n.cics) for (let c = r.first; c < r.first + r.count; c++) out.set(c, n.name);
  return out;
}

/** A node's CICs per trunk group. */
export function cicsOf(nodes: ClusterConfig['nodes'], node: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of nodes.find((n) => n.name === node)?.cics ?? []) {
    const list = out.get(r.trunkGroup) ?? [];
    for (let c = r.first; c < r.first + r.count; c++) list.push(c);
    out.set(r.trunkGroup, list);
  }
  return out;
}
