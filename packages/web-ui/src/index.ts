/**
 * @tapefleet/web-ui: the browser app's DOM-free parts (form specs and bodies,
 * error reading, schedule previews). The gateway serves the built app
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
