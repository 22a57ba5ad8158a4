/**
 * What every object-store driver (s3, azure) declares alike, and the names its listings can report.
 *
 * Why shared: both drivers keep directories as `dir/` markers, POSIX attributes as metadata, copy
 * server-side and read ranges; declaring those in one place keeps a copy between the two stores from
 * meeting a difference that is not in the stores themselves. Each driver states only what really differs.
 */
import type { DriverFeatures } from '../driver.js';

/** The features every object store takes from its settings. */
export type ObjectStoreSettings = Pick<DriverFeatures, 'storageClasses' | 'restoreFromCold'>;
/** The features that differ between object stores (what their service can do). */
export type ObjectStoreSpecifics = Pick<DriverFeatures, 'objectLock' | 'restoreExpires' | 'noReplace'>;

/** Features of an object-store driver. See driver.ts `DriverFeatures` for each field. */
export function objectStoreFeatures(settings: ObjectStoreSettings, specifics: ObjectStoreSpecifics): DriverFeatures {
  return Object.freeze({
    rangeRead: true,
    serverSideCopy: true,
    rename: false,
    nativeChecksums: Object.freeze([]),
    storageClasses: settings.storageClasses,
    objectLock: specifics.objectLock,
    restoreFromCold: settings.restoreFromCold,
    restoreExpires: specifics.restoreExpires,
    sequentialOnly: false,
    // Stored and reported faithfully in metadata (not enforced: access control is the store's policy).
    setOwnership: true,
    permissions: true,
    symlinks: false,
    userMetadata: true,
    directories: true,
    mtimePrecisionMs: 1,
    attributesAsMetadata: true,
    noReplace: specifics.noReplace,
  });
}

/**
 * True for a key segment that can be a storage path's name. Why: keys written by other tools may hold an
 * empty segment (`a//b`), `.` or `..`; listings skip them rather than report paths nobody can address.
 */
export function validObjectName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}
