/**
 * fbstream's public API: `convert` (lib/convert.ts), the service the CLI runs, with its options
 * (lib/options.ts). Each stage is exported twice: its pure core (`createX`, arrays in, arrays
 * out) and its Transform (`createXStream`); `createPipeline` wires the Transforms in order,
 * `createPipelineCore` the cores, as one core (`createChain`).
 */
export { convert, type ConvertIo, type ConvertResult, type LeftOut } from './convert.js';
export { checkMe, isMeFor } from './me.js';
export { createPipeline, createPipelineCore, textFrom, type Pipeline, type PipelineCore, type PipelineOptions } from './pipeline.js';
export { createChain } from './core/chain.js';
export {
  normalizeConvertOptions, stageSettings, CONVERT_OPTIONS, ALL_KINDS, DEFAULT_KINDS, ALL_SECTIONS, DEFAULT_SECTIONS,
  type ConvertOptions, type NormalizedConvertOptions, type StageOptions, type StageSettings, type ThreadSection, type Preset, normalizeStageOptions,
} from './options.js';

export { createTokenizer, type Tokenizer, type TokenizerOptions } from './core/tokenizer.js';
export { createDecoder, type DecoderOptions } from './core/decoder.js';
export { createFilter, type FilterOptions } from './core/filter.js';
export { createOrder, type OrderOptions } from './core/order/order.js';
export type { Entry } from './core/order/entry.js';
export { createDedupe, type DedupeOptions } from './core/dedupe.js';
export { createSessions, type SessionsOptions } from './core/sessions.js';
export { createRunMerger, type RunMergerOptions } from './core/run-merger.js';
export { createRoleMapper, meMatcher, type RoleMapperOptions, type RoleMapperStats } from './core/role-mapper.js';
export { createChunker, type ChunkerOptions } from './core/chunker.js';
export { createSerializer, toOpenAiLine, type SerializerOptions, type SerializerStats } from './core/serializer.js';
export {
  OUTPUT_FORMATS, OUTPUT_FORMAT_NAMES, outputFormat, toHfLine, toShareGptLine, toGeminiLine, toTextLine, transcriptLine,
  type OutputFormat, type OutputFormatSpec, type FormatCounts,
} from './formats/output/index.js';
export { createMemorySpill, type SpillStore } from './core/order/spill.js';
export type { Stage, Output } from './core/stage.js';

export { createTokenizerStream } from './streams/tokenizer.js';
export { createDecoderStream } from './streams/decoder.js';
export { createFilterStream } from './streams/filter.js';
export { createOrderStream } from './streams/order.js';
export { createDedupeStream } from './streams/dedupe.js';
export { createSessionsStream } from './streams/sessions.js';
export { createRunMergerStream } from './streams/run-merger.js';
export { createRoleMapperStream } from './streams/role-mapper.js';
export { createChunkerStream } from './streams/chunker.js';
export { createSerializerStream } from './streams/serializer.js';
export { createFileSpill } from './streams/spill-files.js';
export { toTransform, StageTransform, type StageStreamOptions } from './streams/to-transform.js';

export { fileSource, stdinSource, resolveInputs, tokenizeSources, orderThreadFiles, type Source } from './sources/files.js';
export { createAtomicFile, type AtomicFile } from './sinks/atomic-file.js';
export { openOutput, type OutputTarget } from './sinks/output.js';

// whole exports: folders and zip parts, indexed; threads converted in worker threads
export { openExport, type OpenedExport, type OpenExportOptions } from './export/open-export.js';
export { selectThreads, resolveOwner, type SelectOptions, type Selection } from './export/select.js';
export { convertThreads, prestartWorkers, type ConvertThreadsOptions, type ConvertHooks, type RunSummary, type FailedThread, type ThreadSink } from './export/parallel.js';
export { runThreadJob, jobsFromPlans, type ThreadJob, type JobResult } from './export/thread-job.js';
export type { PartRef, ZipDataAt } from './export/part-ref.js';
export { buildExportIndex, readThreadHeader, type ExportIndex, type ThreadPlan, type ThreadHeader } from './export/export-index.js';
export { joinE2eeThreads, type E2eeAmbiguity, type E2eeJoinResult } from './export/e2ee-join.js';
export { listFolder } from './sources/folder.js';
export { openZip, type ZipArchive, type ZipEntry, type ZipProblem, type OpenZipOptions } from './sources/zip.js';
export { detectOwner, type OwnerResult } from './export/owner.js';
export type { ExportEntry } from './sources/entry.js';

// tokens and `fbstream validate`
export {
  modelInfo, loadEncoding, countMessageTokens, countExampleTokens, upperBoundTokens, upperBoundExampleTokens, MODELS,
  type EncodingName, type ModelInfo, type TokenEncoding,
} from './tokens.js';
export { validateFile, normalizeValidateOptions, type ValidateOptions, type ValidateSettings, type FileValidation } from './validate/validate-file.js';
export { createValidator, type Validator, type ValidatorOptions, type ValidationResult } from './validate/validator.js';
export { createLineSplitter, type LineSplitter, type LineSplitterOptions, type SplitLine } from './validate/line-splitter.js';
export { readLines, type ReadLinesOptions } from './validate/read-lines.js';
export { ERROR_KINDS, WARNING_KINDS, type ErrorKind, type WarningKind, type IssueSummary } from './validate/issues.js';
export { defaultEpochs, type TokenDistribution } from './validate/token-stats.js';

export { repairMojibake, toMojibake } from './text/mojibake.js';
export { Report } from './report.js';
export {
  FbstreamError, UsageError, OptionError, UnknownSenderError, DataError, LimitError, IoError, ZipError, ZipLimitError,
  exitCodeOf, type ErrorCode, type Position,
} from './errors.js';
export type * from './types.js';

// from a dataset to a model: upload, train, follow, chat (lib/api/)
export * from './api/index.js';
