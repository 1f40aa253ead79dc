CREATE SCHEMA IF NOT EXISTS "catalog";
--> statement-breakpoint
CREATE TABLE "catalog"."archives" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"media_set_uuid" uuid NOT NULL,
	"media_uuid" uuid NOT NULL,
	"file_number" integer NOT NULL,
	"kind" text NOT NULL,
	"store" text NOT NULL,
	"snapshot" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "archives_media_file_key" UNIQUE("media_uuid","file_number"),
	CONSTRAINT "archives_kind_check" CHECK ("catalog"."archives"."kind" in ('chunk-archive', 'snapshot-archive', 'catalog-archive')),
	CONSTRAINT "archives_file_number_check" CHECK ("catalog"."archives"."file_number" >= 0)
);
--> statement-breakpoint
CREATE TABLE "catalog"."media_set_members" (
	"media_set_uuid" uuid NOT NULL,
	"seq_nr" integer NOT NULL,
	"media_uuid" uuid NOT NULL,
	"label_text" text NOT NULL,
	CONSTRAINT "media_set_members_media_set_uuid_seq_nr_pk" PRIMARY KEY("media_set_uuid","seq_nr"),
	CONSTRAINT "media_set_members_media_uuid_key" UNIQUE("media_uuid"),
	CONSTRAINT "media_set_members_seq_nr_check" CHECK ("catalog"."media_set_members"."seq_nr" >= 0)
);
--> statement-breakpoint
CREATE TABLE "catalog"."media_sets" (
	"uuid" uuid PRIMARY KEY NOT NULL,
	"pool" text NOT NULL,
	"ctime" timestamp with time zone DEFAULT now() NOT NULL,
	"encryption_key_fingerprint" text,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "catalog"."archives" ADD CONSTRAINT "archives_media_set_uuid_media_sets_uuid_fk" FOREIGN KEY ("media_set_uuid") REFERENCES "catalog"."media_sets"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."media_set_members" ADD CONSTRAINT "media_set_members_media_set_uuid_media_sets_uuid_fk" FOREIGN KEY ("media_set_uuid") REFERENCES "catalog"."media_sets"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "archives_snapshot_idx" ON "catalog"."archives" USING btree ("store","snapshot");--> statement-breakpoint
CREATE INDEX "media_sets_pool_idx" ON "catalog"."media_sets" USING btree ("pool","ctime");