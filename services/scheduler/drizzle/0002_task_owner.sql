ALTER TABLE "scheduler"."task" ADD COLUMN "owner_node" text;--> statement-breakpoint
ALTER TABLE "scheduler"."task" ADD COLUMN "owner_pid" integer;--> statement-breakpoint
ALTER TABLE "scheduler"."task" ADD COLUMN "owner_pstart" bigint;--> statement-breakpoint
-- Tasks left running by a scheduler of the previous version: owned by the process that created them.
UPDATE "scheduler"."task" SET "owner_node" = "node", "owner_pid" = "pid", "owner_pstart" = "pstart" WHERE "endtime" IS NULL;
