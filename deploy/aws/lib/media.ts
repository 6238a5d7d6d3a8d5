// Pictures and the web app's built files: private S3 buckets (no public access, TLS only, encrypted), read only
// by CloudFront through Origin Access Control. The product service writes pictures with its task role and
// builds their URLs on the CDN (S3_PUBLIC_URL); `/assets/*` serves what `npm run build` put in apps/web/dist/assets
// (synced by the deploy pipeline), for a web app built with its asset base on the CDN.
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { StageConfig } from './config.js';

export class Media extends Construct {
  /** access logs of the buckets and the load balancer */
  readonly logs: Bucket;
  readonly media: Bucket;
  readonly web: Bucket;
  readonly cdn: Distribution;

  constructor(scope: Construct, id: string, props: { stage: StageConfig }) {
    super(scope, id);
    const retain = props.stage.retainData;
    const lifecycle = {
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !retain,
    };
    const privateBucket = {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      ...lifecycle,
    };

    this.logs = new Bucket(this, 'Logs', {
      ...privateBucket,
      // CloudFront standard logs are written with ACLs
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(retain ? 365 : 30) }],
    });
    Validations.of(this.logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself: logging its own access would log forever.',
    });

    this.media = new Bucket(this, 'Pictures', {
      ...privateBucket,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 's3/pictures/',
      versioned: retain,
      lifecycleRules: retain ? [{ noncurrentVersionExpiration: Duration.days(30) }] : [],
    });
    this.web = new Bucket(this, 'WebAssets', {
      ...privateBucket,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 's3/web/',
    });

    // files never change under a key (every picture upload and every Vite asset gets a new name)
    this.cdn = new Distribution(this, 'Cdn', {
      comment: `microbazaar ${props.stage.name}: pictures and web assets`,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.media),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: ResponseHeadersPolicy.SECURITY_HEADERS,
        compress: true,
      },
      additionalBehaviors: {
        '/assets/*': {
          origin: S3BucketOrigin.withOriginAccessControl(this.web),
          viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
          cachePolicy: CachePolicy.CACHING_OPTIMIZED,
          responseHeadersPolicy: ResponseHeadersPolicy.CORS_ALLOW_ALL_ORIGINS_WITH_PREFLIGHT_AND_SECURITY_HEADERS,
          compress: true,
        },
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: props.stage.name === 'production' ? PriceClass.PRICE_CLASS_ALL : PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logs,
      logFilePrefix: 'cloudfront/',
    });
    Validations.of(this.cdn).acknowledge(
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The distribution uses its cloudfront.net certificate until a custom domain is set; CloudFront then allows TLS 1.0 for viewers on that default certificate, an AWS limitation. With a domain and an ACM certificate set, the minimum is TLS 1.2.',
      },
      {
        id: 'AwsSolutions-CFR1',
        reason: 'A shop sells where it wants: no geo restriction by default.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'Static files only (pictures, hashed web assets) through Origin Access Control: the WAF guards the load balancer in front of the API.',
      },
    );
  }
}
