CREATE TABLE "subject_cutoffs" (
	"subject" text PRIMARY KEY NOT NULL,
	"cutoff" timestamp (3) with time zone NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL
);
