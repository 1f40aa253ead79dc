CREATE TABLE "inventory"."device_location" (
	"host_id" text NOT NULL,
	"serial" text NOT NULL,
	"grpc_address" text NOT NULL,
	"path" text NOT NULL,
	"kind" text NOT NULL,
	"vendor" text DEFAULT '' NOT NULL,
	"model" text DEFAULT '' NOT NULL,
	"generation" text,
	"online" boolean NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	CONSTRAINT "device_location_host_id_serial_pk" PRIMARY KEY("host_id","serial")
);
--> statement-breakpoint
CREATE TABLE "inventory"."media" (
	"uuid" uuid PRIMARY KEY NOT NULL,
	"label_text" text NOT NULL,
	"pool" text,
	"ctime" bigint NOT NULL,
	"media_set_uuid" uuid,
	"media_set_seq_nr" integer,
	"media_set_ctime" bigint,
	"encryption_key_fingerprint" text,
	"status" text,
	"location" text DEFAULT 'offline' NOT NULL,
	"bytes_used" bigint,
	"worm" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "media_status_check" CHECK ("inventory"."media"."status" in ('full', 'damaged', 'retired'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "media_label_text_uq" ON "inventory"."media" USING btree ("label_text");