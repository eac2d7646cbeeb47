/**
 * The `cluster:` section: state several switch nodes share. Without `redis` every count and
 * registration is the node's own (one node). With it, per-customer call counts, the split of
 * per-customer call-rate limits and SIP registrations are shared through Redis; a node's share
 * expires with its heartbeat, so a dead node's calls stop counting after `nodeTtlS`.
 */
import { z } from 'zod';

const cicRange = z.object({
  trunkGroup: z.string(),
  first: z.number().int().min(0).max(16383),
  count: z.number().int().min(1).max(16384),
});

export const clusterConfigSchema = z.object({
  /**
   * The nodes of the cluster and the circuits each owns: every node is an ASP of the same AS
   * (loadshare) with the same point code, and works only the CICs listed here for it; the SG
   * sends each circuit's messages to its owner. One file can serve every node (node.name picks).
   */
  nodes: z.array(z.object({ name: z.string().min(1), cics: z.array(cicRange).min(1) })).default([]),
  redis: z
    .object({
      /** redis://[:password@]host:port[/db] */
      url: z.string().regex(/^rediss?:\/\//, 'a redis:// URL'),
      /** Prefix of every key and channel, so several clusters can share one Redis. */
      keyPrefix: z.string().default('ssw:'),
      /** A node whose heartbeat is older than this is dead: its counts stop counting. */
      nodeTtlS: z.number().int().min(2).max(300).default(15),
      /** How often a node heartbeats and reads the other nodes' counts. */
      refreshMs: z.number().int().min(50).max(10_000).default(250),
    })
    .optional(),
});

export type ClusterConfig = z.infer<typeof clusterConfigSchema>;
export type RedisClusterConfig = NonNullable<ClusterConfig['redis']>;
