/**
 * An extension's features as they apply now: the configured ones with what its subscriber changed
 * by star code laid over them (a string sets a forwarding target, null clears it, a boolean sets
 * do-not-disturb). Pure; the store keeps the overrides.
 */
import type { ExtensionConfig, Features } from '../config.js';

export type FeatureOverrides = Record<string, string | boolean | null>;

/** Where changed settings are kept (src/store/feature-settings.ts in production). */
export interface FeatureSettingsStore {
  get(tenant: string, extension: string): FeatureOverrides;
  set(tenant: string, extension: string, change: FeatureOverrides): FeatureOverrides;
}

export function effectiveFeatures(base: Features, o: FeatureOverrides): Features {
  const f: Features = { ...base };
  for (const k of ['cfu', 'cfb', 'cfna'] as const) {
    if (!(k in o)) continue;
    const v = o[k];
    f[k] = typeof v === 'string' ? v : undefined;
  }
  if (typeof o.dnd === 'boolean') f.dnd = o.dnd;
  return f;
}

export function effectiveExtension(ext: ExtensionConfig, o: FeatureOverrides): ExtensionConfig {
  return Object.keys(o).length === 0 ? ext : { ...ext, features: effectiveFeatures(ext.features, o) };
}
