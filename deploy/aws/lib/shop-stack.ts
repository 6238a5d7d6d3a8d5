// The shop on AWS: a VPC over two availability zones (public subnets for the load balancer and NAT, private ones
// for the services, isolated ones for the data), the data stores, the media CDN, the ECS services, an optional
// WAF on the load balancer, alarms and a dashboard.
import { CfnOutput, CfnParameter, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { FlowLogDestination, FlowLogTrafficType, IpAddresses, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import type { IRepository } from 'aws-cdk-lib/aws-ecr';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import type { StageConfig } from './config.js';
import { DataStores } from './data.js';
import { Media } from './media.js';
import { Observability } from './observability.js';
import { Services } from './services.js';

export interface ShopStackProps extends StackProps {
  stage: StageConfig;
  repositories: ReadonlyMap<string, IRepository>;
  imageTag: string;
  /** the shop's address (https://shop.example.com); default the load balancer's own name */
  domainName?: string | undefined;
  alarmEmail?: string | undefined;
  /** AWS managed rules and a rate limit in front of the load balancer */
  waf: boolean;
}

export class ShopStack extends Stack {
  readonly vpc: Vpc;
  readonly data: DataStores;
  readonly media: Media;
  readonly services: Services;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: ShopStackProps) {
    super(scope, id, props);
    const { stage } = props;

    const certificate = new CfnParameter(this, 'CertificateArn', {
      type: 'String',
      description: 'ACM certificate (same region) for the load balancer HTTPS listener, e.g. for shop.example.com',
      allowedPattern: '^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$',
    });

    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: stage.maxAzs,
      natGateways: stage.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'services', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'data', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      flowLogs: {
        rejected: {
          trafficType: FlowLogTrafficType.REJECT,
          destination: FlowLogDestination.toCloudWatchLogs(
            new LogGroup(this, 'FlowLogs', { retention: stage.logRetention }),
          ),
        },
      },
    });

    this.data = new DataStores(this, 'Data', { vpc: this.vpc, stage });
    this.media = new Media(this, 'Media', { stage });

    // filled by the operator after the first deploy (deploy/aws/README.md); the services fail fast until it is
    const appSecrets = new Secret(this, 'AppSecrets', {
      description:
        'microbazaar: smtpUrl (notification), stripeSecretKey and stripeWebhookSecret (payment, production); set them after the first deploy',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({
          smtpUrl: 'smtp://set-me.invalid:587',
          stripeSecretKey: 'sk_set_me',
          stripeWebhookSecret: 'whsec_set_me',
        }),
        generateStringKey: 'unused',
      },
    });
    const adminSecret = new Secret(this, 'AdminPassword', {
      description: 'microbazaar auth: the first admin (ADMIN_EMAIL) password, used on the first start only',
      generateSecretString: { passwordLength: 24, excludePunctuation: true },
    });
    const jwtKeySecret = new Secret(this, 'JwtKeyEncryptionSecret', {
      description: 'microbazaar auth: JWT_KEY_ENCRYPTION_SECRET, encrypts the signing keys at rest',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    const cartIdSecret = new Secret(this, 'CartIdSecret', {
      description: 'microbazaar cart: CART_ID_SECRET, keys the MAC of guest cart ids (the same on every task)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    for (const s of [appSecrets, adminSecret, jwtKeySecret, cartIdSecret])
      Validations.of(s).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Application secrets read once at task start (SMTP credentials, the key that encrypts signing keys at rest, the first admin password): rotation means re-encrypting keys or changing a provider account, done by hand and followed by a new deployment.',
      });

    const publicUrl = props.domainName ? `https://${props.domainName}` : 'https://shop.example.com';
    this.services = new Services(this, 'Services', {
      vpc: this.vpc,
      stage,
      data: this.data,
      media: this.media,
      repositories: props.repositories,
      imageTag: props.imageTag,
      certificateArn: certificate.valueAsString,
      publicUrl,
      appSecrets,
      adminSecret,
      jwtKeySecret,
      cartIdSecret,
    });

    if (props.waf) {
      const managed = (name: string, priority: number) => ({
        name,
        priority,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
        visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true },
      });
      const acl = new CfnWebACL(this, 'Waf', {
        scope: 'REGIONAL',
        defaultAction: { allow: {} },
        visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'microbazaar', sampledRequestsEnabled: true },
        rules: [
          managed('AWSManagedRulesCommonRuleSet', 1),
          managed('AWSManagedRulesKnownBadInputsRuleSet', 2),
          managed('AWSManagedRulesAmazonIpReputationList', 3),
          {
            name: 'RatePerIp',
            priority: 10,
            action: { block: {} },
            // the gateway limits too (6 000 per minute per IP); this stops floods before they cost anything
            statement: { rateBasedStatement: { limit: 20_000, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
            visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'RatePerIp', sampledRequestsEnabled: true },
          },
        ],
      });
      new CfnWebACLAssociation(this, 'WafAssociation', {
        resourceArn: this.services.loadBalancer.loadBalancerArn,
        webAclArn: acl.attrArn,
      });
    }

    this.observability = new Observability(this, 'Observability', {
      stage,
      services: this.services,
      data: this.data,
      alarmEmail: props.alarmEmail,
    });

    new CfnOutput(this, 'LoadBalancerDns', {
      value: this.services.loadBalancer.loadBalancerDnsName,
      description: 'Point the shop domain here (alias record)',
    });
    new CfnOutput(this, 'CdnDomain', { value: this.media.cdn.distributionDomainName });
    new CfnOutput(this, 'WebAssetsBucket', {
      value: this.media.web.bucketName,
      description: 'aws s3 sync apps/web/dist/assets s3://<bucket>/assets',
    });
    new CfnOutput(this, 'AppSecretsArn', {
      value: appSecrets.secretArn,
      description: 'set smtpUrl, stripeSecretKey and stripeWebhookSecret here',
    });
    new CfnOutput(this, 'MigrateTaskDefinition', { value: this.services.migrateTask.taskDefinitionArn });
    new CfnOutput(this, 'ClusterName', { value: this.services.cluster.clusterName });
  }
}
