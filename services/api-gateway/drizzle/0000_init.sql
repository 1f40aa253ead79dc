CREATE SCHEMA "gateway";
--> statement-breakpoint
CREATE TABLE "gateway"."api_token" (
	"id" text PRIMARY KEY NOT NULL,
	"secret_hash" text NOT NULL,
	"role" text NOT NULL,
	"comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
