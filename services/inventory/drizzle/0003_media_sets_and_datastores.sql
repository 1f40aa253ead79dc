CREATE TABLE "inventory"."datastore" (
	"name" text PRIMARY KEY NOT NULL,
	"path" text NOT NULL,
	"host" text NOT NULL,
	"comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inventory"."media_set" (
	"uuid" uuid PRIMARY KEY NOT NULL,
	"pool" text NOT NULL,
	"name" text NOT NULL,
	"ctime" bigint NOT NULL,
	"encryption_key_fingerprint" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
