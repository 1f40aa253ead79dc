CREATE SCHEMA IF NOT EXISTS "keyvault";
--> statement-breakpoint
CREATE TABLE "keyvault"."encryption_keys" (
	"fingerprint" text PRIMARY KEY NOT NULL,
	"wrapped_key" "bytea" NOT NULL,
	"hint" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "keyvault"."master_key" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "master_key_single_row" CHECK ("keyvault"."master_key"."id" = 1)
);
