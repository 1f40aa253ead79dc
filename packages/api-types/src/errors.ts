import { z } from "zod";

/** Stable error codes of the API (the `code` of every error response). */
export const API_ERROR_CODES = ["VALIDATION", "NOT_FOUND", "CONFLICT", "UNAUTHORIZED", "FORBIDDEN", "UNAVAILABLE", "TIMEOUT", "CONFIG", "INTERNAL"] as const;

/**
 * Body of every error response: `errors` maps each bad field to its message
 * (empty when the error is not about a field).
 */
export const errorResponse = z
  .strictObject({
    errors: z.record(z.string(), z.string()).meta({ description: "Message per bad field." }),
    message: z.string(),
    code: z.enum(API_ERROR_CODES),
    reason: z.string().optional().meta({ description: "Stable sub-code within `code` (e.g. NO_USABLE_MEDIA, WORM_MEDIA_WITH_DATA)." }),
    requestId: z.string().optional(),
  })
  .meta({ description: "An error: stable code, message, and one message per bad field." });

export type ErrorResponse = z.output<typeof errorResponse>;
