/** lib/core: the domain — keys, metadata, policy and the DeltaService. */
export * from './types';
export { DeltaService, type DeltaServiceOptions } from './delta-service';
export type { CoreCodec } from './codec';
export {
  REFERENCE_NAME, DELTA_SUFFIX, INTERNAL_PREFIX, deltaspaceOf, deltaspacePrefix, referenceKeyOf, baseName,
  isReferenceKey, isInternalKey, isHiddenKey, hasDeltaSuffix, deltaKeyOf, logicalKeyOfDelta, s3Url, assertWritableKey,
} from './keys';
export {
  FIELD, REFERENCE_NOTE, ZERO_DIFF_NOTE, spellingsOf, readField, readSha256, readSize, readTimestamp, formatTimestamp,
  isMarkedDirect, parseDeltaMetadata, parseDirectMetadata, referenceMetadata, deltaMetadata, directMetadata, userMetadata,
  isDeltaGliderMetadataKey, fitMetadata, METADATA_LIMIT_BYTES, type DeltaMetadata, type DirectMetadata, type FieldName,
} from './metadata';
export {
  DeltaPolicy, DEFAULT_DELTA_EXTENSIONS, DEFAULT_MAX_RATIO, parseDeltaExtensions, parseMaxRatio, hasBinaryMagic,
  type DeltaPolicyOptions,
} from './policy';
export { classifyStored } from './lookup';
export { defaultToolName, packageVersion } from './tool-version';
export { mapLimit } from './concurrency';
