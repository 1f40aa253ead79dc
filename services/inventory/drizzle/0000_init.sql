CREATE SCHEMA "inventory";
--> statement-breakpoint
CREATE TABLE "inventory"."changer" (
	"name" text PRIMARY KEY NOT NULL,
	"path" text NOT NULL,
	"export_slots" integer[],
	"eject_before_unload" boolean,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inventory"."drive" (
	"name" text PRIMARY KEY NOT NULL,
	"path" text NOT NULL,
	"changer" text,
	"changer_drivenum" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "drive_changer_drivenum_range" CHECK ("inventory"."drive"."changer_drivenum" between 0 and 255)
);
--> statement-breakpoint
CREATE TABLE "inventory"."media_pool" (
	"name" text PRIMARY KEY NOT NULL,
	"drive" text,
	"allocation" text,
	"retention" text,
	"template" text,
	"encrypt" text,
	"comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inventory"."tape_backup_job" (
	"id" text PRIMARY KEY NOT NULL,
	"store" text NOT NULL,
	"pool" text NOT NULL,
	"drive" text NOT NULL,
	"schedule" text,
	"latest_only" boolean,
	"notify_user" text,
	"eject_media" boolean,
	"export_media_set" boolean,
	"ns" text,
	"max_depth" integer,
	"group_filter" text[],
	"comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tape_backup_job_max_depth_range" CHECK ("inventory"."tape_backup_job"."max_depth" between 0 and 7)
);
--> statement-breakpoint
ALTER TABLE "inventory"."drive" ADD CONSTRAINT "drive_changer_changer_name_fk" FOREIGN KEY ("changer") REFERENCES "inventory"."changer"("name") ON DELETE restrict ON UPDATE restrict;--> statement-breakpoint
ALTER TABLE "inventory"."media_pool" ADD CONSTRAINT "media_pool_drive_drive_name_fk" FOREIGN KEY ("drive") REFERENCES "inventory"."drive"("name") ON DELETE restrict ON UPDATE restrict;--> statement-breakpoint
ALTER TABLE "inventory"."tape_backup_job" ADD CONSTRAINT "tape_backup_job_pool_media_pool_name_fk" FOREIGN KEY ("pool") REFERENCES "inventory"."media_pool"("name") ON DELETE restrict ON UPDATE restrict;--> statement-breakpoint
ALTER TABLE "inventory"."tape_backup_job" ADD CONSTRAINT "tape_backup_job_drive_drive_name_fk" FOREIGN KEY ("drive") REFERENCES "inventory"."drive"("name") ON DELETE restrict ON UPDATE restrict;--> statement-breakpoint
CREATE UNIQUE INDEX "drive_changer_drivenum_uq" ON "inventory"."drive" USING btree ("changer",coalesce("changer_drivenum", 0));