ALTER TABLE "launch_codes" ALTER COLUMN "payload_sealed" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "launch_codes" ADD COLUMN "redeemed_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "saml_requests" ADD COLUMN "start_request_id" text;--> statement-breakpoint
CREATE INDEX "audit_log_start_request" ON "audit_log" USING btree ((("data")::json ->> 'start_request')) WHERE (("audit_log"."data")::json ->> 'start_request') IS NOT NULL;