/**
 * @tapefleet/web-ui: the browser app's DOM-free parts (form specs and bodies,
 * error reading, schedule previews, task progress, restore and key form
 * bodies). The gateway serves the built app
 * (`dist/`) at `/`.
 */
export { type ApiProblem, networkProblem, splitFieldErrors, toApiProblem } from "./api-problem.ts";
export {
  CONFIG_KINDS,
  type ConfigKind,
  type Entry,
  type FieldSpec,
  type FieldType,
  FORM_SPECS,
  type FormSpec,
  type FormValues,
  createBody,
  encodeField,
  formValuesOf,
  hasChanges,
  specOfRoute,
  updateBody,
} from "./config-forms.ts";
export { ALLOCATION_KEYWORDS, PREVIEW_RUNS, type SchedulePreview, formatDuration, formatRun, formatTimestamp, previewSchedule } from "./schedule-preview.ts";
export { type ProgressLogLine, type TaskProgress, describeProgress, formatBytes, formatEta, formatRate, latestProgress, progressOf } from "./task-progress.ts";
export {
  type MediaContentRow,
  type MediaSetEntry,
  type NamespaceMapping,
  type NeededTape,
  type RestoreChoices,
  type TapeNeed,
  formatNamespaceMapping,
  neededTapes,
  offlineTapes,
  restoreBody,
  snapshotSpec,
  sourceStores,
} from "./restore-wizard.ts";
export { type KeyFormResult, REPEAT_FIELD, keyCreateBody, keyImportBody, keyUpdateBody } from "./key-forms.ts";
export { type DriveStatusData, type WearRow, activityText, alertFlags, driveOfTask, isBusy, valueText, wearRows } from "./drive-detail.ts";
