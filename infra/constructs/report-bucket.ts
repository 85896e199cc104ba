/**
 * The S3 bucket for exports, manifests and the raw notification archive: SSE-S3 encryption, all
 * public access blocked, TLS-only (and TLS >= 1.2), ACLs disabled, server access logs to a
 * separate bucket.
 *
 * Versioning is ON: export keys are deterministic, so a re-run or backfill replaces the previous
 * file; the replaced version is kept for `noncurrentVersionDays` (an undo for a bad backfill or an
 * accidental delete) and then expires.
 * Lifecycle: archived notifications (`archive/`) expire after `archiveDays`; incomplete multipart
 * uploads (an export that died half-way) are aborted after a day so they stop costing money.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export const ARCHIVE_PREFIX = 'archive/';

export interface ReportBucketProps {
  /** Days a raw notification stays in `archive/` (replay window). Default 90. */
  readonly archiveDays?: number;
  /** Days a replaced or deleted object version is kept. Default 30. */
  readonly noncurrentVersionDays?: number;
  /** Days server access logs are kept. Default 90. */
  readonly accessLogDays?: number;
  /** Default RETAIN: deleting the stack never deletes reports. */
  readonly removalPolicy?: RemovalPolicy;
}

export class ReportBucket extends Construct {
  readonly bucket: Bucket;
  readonly accessLogBucket: Bucket;

  constructor(scope: Construct, id: string, props: ReportBucketProps = {}) {
    super(scope, id);
    // Grant log delivery through a bucket policy (ACLs stay disabled), whatever the app's feature flags.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const secure = {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy,
    } as const;
    this.accessLogBucket = new Bucket(this, 'AccessLogs', {
      ...secure,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.accessLogDays ?? 90) }],
    });
    this.bucket = new Bucket(this, 'Bucket', {
      ...secure,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'reports-bucket/',
      lifecycleRules: [
        {
          id: 'expire-archived-notifications',
          prefix: ARCHIVE_PREFIX,
          expiration: Duration.days(props.archiveDays ?? 90),
          noncurrentVersionExpiration: Duration.days(1),
        },
        {
          id: 'abort-incomplete-multipart-uploads',
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        {
          id: 'expire-replaced-versions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays ?? 30),
          expiredObjectDeleteMarker: true,
        },
      ],
    });
  }
}
