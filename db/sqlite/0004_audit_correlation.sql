-- Hand-corrected after drizzle-kit 0.31: it copied the new `redeemed_at` from the old table and split the index expression.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_launch_codes` (
	`code_hash` text PRIMARY KEY NOT NULL,
	`survey_id` text NOT NULL,
	`jti` text NOT NULL,
	`payload_sealed` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`redeemed_at` integer
);
--> statement-breakpoint
INSERT INTO `__new_launch_codes`("code_hash", "survey_id", "jti", "payload_sealed", "created_at", "expires_at", "redeemed_at") SELECT "code_hash", "survey_id", "jti", "payload_sealed", "created_at", "expires_at", NULL FROM `launch_codes`;--> statement-breakpoint
DROP TABLE `launch_codes`;--> statement-breakpoint
ALTER TABLE `__new_launch_codes` RENAME TO `launch_codes`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
ALTER TABLE `saml_requests` ADD `start_request_id` text;--> statement-breakpoint
CREATE INDEX `audit_log_start_request` ON `audit_log` (json_extract(`data`, '$.start_request')) WHERE json_extract(`data`, '$.start_request') IS NOT NULL;