CREATE TABLE `subject_cutoffs` (
	`subject` text PRIMARY KEY NOT NULL,
	`cutoff` integer NOT NULL,
	`expires_at` integer NOT NULL
);
