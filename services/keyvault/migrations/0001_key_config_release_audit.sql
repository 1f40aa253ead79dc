CREATE TABLE "keyvault"."key_release_audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"agent" text NOT NULL,
	"fingerprint" text NOT NULL,
	"drive" text NOT NULL,
	"job" text NOT NULL,
	"media_set_uuid" text NOT NULL,
	"granted" boolean NOT NULL,
	"refusal" text
);
--> statement-breakpoint
ALTER TABLE "keyvault"."encryption_keys" ADD COLUMN "key_config" jsonb;--> statement-breakpoint
CREATE INDEX "key_release_audit_fingerprint_at" ON "keyvault"."key_release_audit" USING btree ("fingerprint","at");