/** tapectl as a library: the command tree, the API client and the table renderer. */
export { createProgram, runCli, VERSION } from "./program.ts";
export { CliContext, OUTPUT_FORMATS, type CliIo, type GlobalOptions, type OutputFormat } from "./context.ts";
export { ApiClient } from "./api-client.ts";
export { CliError, formatError, type CliFieldError } from "./errors.ts";
export { renderTable, renderKeyValue, displayWidth, cellText, type Column } from "./table.ts";
export { resolveUrl, resolveToken, DEFAULT_URL, DEFAULT_TOKEN_FILE, STACK_FILE } from "./settings.ts";
export { COMMAND_GROUPS, type CommandGroup } from "./commands/index.ts";
export { registerConfigGroup, parseBool, parseInteger, DRIVE_ENV, type ConfigGroupSpec, type FieldSpec } from "./commands/config-group.ts";
