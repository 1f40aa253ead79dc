CREATE TABLE "scheduler"."lease" (
	"resource" text PRIMARY KEY NOT NULL,
	"holder_job" text NOT NULL,
	"holder_worker" text NOT NULL,
	"acquired_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduler"."schedule_run" (
	"job_id" text NOT NULL,
	"occurrence" bigint NOT NULL,
	"fired_by" text NOT NULL,
	"fired_at" timestamp with time zone DEFAULT now() NOT NULL,
	"upid" text,
	CONSTRAINT "schedule_run_job_id_occurrence_pk" PRIMARY KEY("job_id","occurrence")
);
--> statement-breakpoint
ALTER TABLE "scheduler"."task_log" ADD COLUMN "data" jsonb;--> statement-breakpoint
CREATE INDEX "lease_holder_job_idx" ON "scheduler"."lease" USING btree ("holder_job");