CREATE SCHEMA "scheduler";
--> statement-breakpoint
CREATE TABLE "scheduler"."task_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"upid" text NOT NULL,
	"n" integer NOT NULL,
	"time" bigint NOT NULL,
	"level" text NOT NULL,
	"text" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduler"."task" (
	"upid" text PRIMARY KEY NOT NULL,
	"node" text NOT NULL,
	"pid" integer NOT NULL,
	"pstart" bigint NOT NULL,
	"worker_type" text NOT NULL,
	"worker_id" text,
	"user_id" text NOT NULL,
	"starttime" bigint NOT NULL,
	"endtime" bigint,
	"status" text,
	"lock" text
);
--> statement-breakpoint
ALTER TABLE "scheduler"."task_log" ADD CONSTRAINT "task_log_upid_task_upid_fk" FOREIGN KEY ("upid") REFERENCES "scheduler"."task"("upid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "task_log_upid_n_uq" ON "scheduler"."task_log" USING btree ("upid","n");--> statement-breakpoint
CREATE UNIQUE INDEX "task_running_lock_uq" ON "scheduler"."task" USING btree ("lock") WHERE "scheduler"."task"."endtime" is null and "scheduler"."task"."lock" is not null;--> statement-breakpoint
CREATE INDEX "task_starttime_idx" ON "scheduler"."task" USING btree ("starttime");