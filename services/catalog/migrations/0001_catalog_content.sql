CREATE TABLE "catalog"."applied_records" (
	"record_id" uuid PRIMARY KEY NOT NULL,
	"media_uuid" uuid NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog"."chunks" (
	"archive_id" bigint NOT NULL,
	"ord" integer NOT NULL,
	"digest" "bytea" NOT NULL,
	CONSTRAINT "chunks_digest_length_check" CHECK (octet_length("catalog"."chunks"."digest") = 32)
);
--> statement-breakpoint
CREATE TABLE "catalog"."held_records" (
	"record_id" uuid PRIMARY KEY NOT NULL,
	"reason" text NOT NULL,
	"message" text NOT NULL,
	"media_uuid" uuid,
	"media_set_uuid" uuid,
	"seq_nr" bigint,
	"record" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog"."snapshots" (
	"archive_id" bigint PRIMARY KEY NOT NULL,
	"media_set_uuid" uuid NOT NULL,
	"store" text NOT NULL,
	"snapshot" text NOT NULL,
	"namespace" text NOT NULL,
	"backup_type" text NOT NULL,
	"backup_id" text NOT NULL,
	"backup_time" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "catalog"."archives" DROP CONSTRAINT "archives_kind_check";--> statement-breakpoint
ALTER TABLE "catalog"."archives" ALTER COLUMN "store" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "catalog"."archives" ADD COLUMN "archive_uuid" uuid NOT NULL;--> statement-breakpoint
ALTER TABLE "catalog"."archives" ADD COLUMN "incomplete" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "catalog"."archives" ADD COLUMN "chunk_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "catalog"."archives" ADD COLUMN "bytes" bigint;--> statement-breakpoint
ALTER TABLE "catalog"."archives" ADD COLUMN "committed_at" timestamp with time zone NOT NULL;--> statement-breakpoint
ALTER TABLE "catalog"."media_set_members" ADD COLUMN "joined_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "catalog"."media_sets" ADD COLUMN "name" text;--> statement-breakpoint
ALTER TABLE "catalog"."snapshots" ADD CONSTRAINT "snapshots_archive_id_archives_id_fk" FOREIGN KEY ("archive_id") REFERENCES "catalog"."archives"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "chunks_archive_brin_idx" ON "catalog"."chunks" USING brin ("archive_id") WITH (pages_per_range=16,autosummarize=true);--> statement-breakpoint
CREATE INDEX "held_records_media_idx" ON "catalog"."held_records" USING btree ("media_uuid","media_set_uuid");--> statement-breakpoint
CREATE INDEX "snapshots_set_store_snapshot_idx" ON "catalog"."snapshots" USING btree ("media_set_uuid","store","snapshot");--> statement-breakpoint
CREATE INDEX "snapshots_store_snapshot_idx" ON "catalog"."snapshots" USING btree ("store","snapshot");--> statement-breakpoint
CREATE INDEX "archives_set_store_idx" ON "catalog"."archives" USING btree ("media_set_uuid","store","kind");--> statement-breakpoint
CREATE INDEX "media_set_members_label_idx" ON "catalog"."media_set_members" USING btree ("label_text");--> statement-breakpoint
ALTER TABLE "catalog"."archives" ADD CONSTRAINT "archives_kind_v2_check" CHECK ("catalog"."archives"."kind" in ('media-label', 'media-set-label', 'chunk-archive', 'snapshot-archive', 'catalog-archive'));