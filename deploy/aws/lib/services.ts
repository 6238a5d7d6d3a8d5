// Every microservice as its own ECS Fargate service: its own task definition, task role (only what it uses:
// product may write the pictures bucket, the others nothing), security group (reachable only from the services
// that call it), log group, CPU autoscaling; service-to-service through ECS Service Connect under the same names
// as everywhere else (http://auth:3000 ...). The gateway sits behind an HTTPS load balancer.
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Port, SecurityGroup, SubnetType, type Vpc } from 'aws-cdk-lib/aws-ec2';
import type { IRepository } from 'aws-cdk-lib/aws-ecr';
import {
  AppProtocol,
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  Secret as EcsSecret,
  FargateService,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
} from 'aws-cdk-lib/aws-ecs';
import {
  ApplicationLoadBalancer,
  ApplicationProtocol,
  type ApplicationTargetGroup,
  ListenerCertificate,
  SslPolicy,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SERVICES, type ServiceRow, type StageConfig, taskSize } from './config.js';
import type { DataStores } from './data.js';
import type { Media } from './media.js';

/**
 * SIGTERM → readiness 503 while still serving (DRAIN_DELAY_MS: Service Connect and Cloud Map forget the task)
 * → drain (SHUTDOWN_TIMEOUT_MS) → exit, inside ECS's stop timeout and after the load balancer let go
 */
export const DRAIN_DELAY_MS = 5_000;
export const SHUTDOWN_TIMEOUT_MS = 20_000;
export const STOP_TIMEOUT = Duration.seconds(30);
export const DEREGISTRATION_DELAY = Duration.seconds(15);

/** The findings every task definition has, and why they stand. */
function acknowledgeTaskDefinition(task: FargateTaskDefinition): void {
  Validations.of(task).acknowledge(
    {
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds configuration only (ports, service URLs, bucket and host names); every credential comes from Secrets Manager through `secrets`.',
    },
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The execution role needs ecr:GetAuthorizationToken, which has no resource to scope to; pulls, logs and secrets are scoped to their ARNs.',
    },
  );
}

export interface ServicesProps {
  vpc: Vpc;
  stage: StageConfig;
  data: DataStores;
  media: Media;
  repositories: ReadonlyMap<string, IRepository>;
  imageTag: string;
  certificateArn: string;
  /** https://shop.example.com: links in mails, CORS */
  publicUrl: string;
  /** operator-filled secrets: smtpUrl, stripeSecretKey, stripeWebhookSecret */
  appSecrets: ISecret;
  /** generated: ADMIN_PASSWORD (first start), JWT_KEY_ENCRYPTION_SECRET */
  adminSecret: ISecret;
  jwtKeySecret: ISecret;
  /** generated: CART_ID_SECRET */
  cartIdSecret: ISecret;
}

export class Services extends Construct {
  readonly cluster: Cluster;
  readonly loadBalancer: ApplicationLoadBalancer;
  readonly targetGroup: ApplicationTargetGroup;
  readonly services = new Map<string, FargateService>();
  readonly taskRoles = new Map<string, Role>();
  readonly securityGroups = new Map<string, SecurityGroup>();
  readonly logGroups = new Map<string, LogGroup>();
  readonly migrateTask: FargateTaskDefinition;

  constructor(scope: Construct, id: string, props: ServicesProps) {
    super(scope, id);
    const { vpc, data } = props;
    this.cluster = new Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ContainerInsights.ENABLED,
      enableFargateCapacityProviders: true,
      defaultCloudMapNamespace: { name: 'microbazaar.local', useForServiceConnect: true },
    });

    for (const row of SERVICES) {
      const sg = new SecurityGroup(this, `${row.name}Sg`, {
        vpc,
        description: `${row.name}: from the services that call it`,
        allowAllOutbound: true,
      });
      this.securityGroups.set(row.name, sg);
      data.allowFrom(sg, { database: row.database !== null, cache: row.cache, bus: row.bus });
    }
    // reachable only from its callers, on its port
    for (const row of SERVICES)
      for (const callee of row.calls) {
        const target = SERVICES.find((s) => s.name === callee);
        if (target)
          this.securityGroups
            .get(callee)!
            .addIngressRule(this.securityGroups.get(row.name)!, Port.tcp(target.port), `from ${row.name}`);
      }

    for (const row of SERVICES) this.addService(row, props);

    // --- the front door: HTTPS to the gateway, HTTP redirected ------------------------------------------
    const albSg = new SecurityGroup(this, 'LoadBalancerSg', {
      vpc,
      description: 'HTTPS from anywhere',
      allowAllOutbound: false,
    });
    this.loadBalancer = new ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      securityGroup: albSg,
      dropInvalidHeaderFields: true,
      // product forms with pictures may take up to 120 s (GATEWAY_UPLOAD_TIMEOUT_MS)
      idleTimeout: Duration.seconds(130),
    });
    this.loadBalancer.logAccessLogs(props.media.logs, 'alb');
    const https = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: ApplicationProtocol.HTTPS,
      certificates: [ListenerCertificate.fromArn(props.certificateArn)],
      sslPolicy: SslPolicy.RECOMMENDED_TLS,
      open: true,
    });
    this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });
    const gateway = SERVICES.find((s) => s.public)!;
    this.targetGroup = https.addTargets('Gateway', {
      port: gateway.port,
      protocol: ApplicationProtocol.HTTP,
      targets: [this.services.get(gateway.name)!],
      deregistrationDelay: DEREGISTRATION_DELAY,
      healthCheck: {
        path: '/health/ready',
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
    this.securityGroups.get(gateway.name)!.addIngressRule(albSg, Port.tcp(gateway.port), 'from the load balancer');
    Validations.of(albSg).acknowledge(
      {
        id: 'AwsSolutions-EC23',
        reason: 'The shop is public: the load balancer takes HTTPS (and HTTP, redirected) from anywhere.',
      },
      {
        id: 'AwsSolutions-EC23[0.0.0.0/0]',
        reason: 'The shop is public: the load balancer takes HTTPS (and HTTP, redirected) from anywhere.',
      },
    );

    this.migrateTask = this.addMigrateTask(props);
  }

  private image(props: ServicesProps, name: string): ContainerImage {
    const repository = props.repositories.get(name);
    if (!repository) throw new Error(`no ECR repository for ${name}`);
    return ContainerImage.fromEcrRepository(repository, props.imageTag);
  }

  /** What every service and the migrate task read: the same names as compose and Kubernetes. */
  private environment(props: ServicesProps, row: ServiceRow | undefined): Record<string, string> {
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      // the load balancer (gateway) or the gateway (others) is one hop in front
      TRUST_PROXY: '1',
      PUBLIC_URL: props.publicUrl,
      CORS_ORIGINS: props.publicUrl,
      DEMO_DATA: 'false',
      AUTH_JWKS_URL: 'http://auth:3000/.well-known/jwks.json',
      ...Object.fromEntries(SERVICES.map((s) => [`${s.name.toUpperCase()}_URL`, `http://${s.name}:${s.port}`])),
    };
    if (row) env.PORT = String(row.port);
    if (!row || row.database) env.DATABASE_URL = props.data.databaseUrl;
    if (row?.name === 'payment' && props.stage.name === 'dev') {
      // the dev stage is a staging shop: the sandbox takes no money (production takes Stripe's keys)
      env.PAYMENT_PROVIDER = 'sandbox';
      env.ALLOW_SANDBOX_PAYMENTS = 'true';
    }
    if (row?.name === 'product') {
      env.MEDIA_STORAGE = 's3';
      env.S3_BUCKET = props.media.media.bucketName;
      env.S3_REGION = Stack.of(this).region;
      env.S3_PUBLIC_URL = `https://${props.media.cdn.distributionDomainName}`;
    }
    return env;
  }

  private secrets(props: ServicesProps, row: ServiceRow | undefined): Record<string, EcsSecret> {
    const s: Record<string, EcsSecret> = {};
    const db = props.data.database.secret!;
    if (!row || row.database) {
      s.PGUSER = EcsSecret.fromSecretsManager(db, 'username');
      s.PGPASSWORD = EcsSecret.fromSecretsManager(db, 'password');
    }
    if (row?.cache) s.REDIS_URL = EcsSecret.fromSecretsManager(props.data.redisUrl);
    if (!row || row.bus) s.RABBITMQ_URL = EcsSecret.fromSecretsManager(props.data.rabbitmqUrl);
    if (row?.name === 'notification') s.SMTP_URL = EcsSecret.fromSecretsManager(props.appSecrets, 'smtpUrl');
    if (row?.name === 'payment' && props.stage.name !== 'dev') {
      s.STRIPE_SECRET_KEY = EcsSecret.fromSecretsManager(props.appSecrets, 'stripeSecretKey');
      s.STRIPE_WEBHOOK_SECRET = EcsSecret.fromSecretsManager(props.appSecrets, 'stripeWebhookSecret');
    }
    if (row?.name === 'cart') s.CART_ID_SECRET = EcsSecret.fromSecretsManager(props.cartIdSecret);
    if (row?.name === 'auth') {
      s.JWT_KEY_ENCRYPTION_SECRET = EcsSecret.fromSecretsManager(props.jwtKeySecret);
      s.ADMIN_PASSWORD = EcsSecret.fromSecretsManager(props.adminSecret);
    }
    return s;
  }

  private logGroup(props: ServicesProps, name: string): LogGroup {
    const group = new LogGroup(this, `${name}Logs`, {
      logGroupName: `/microbazaar/${props.stage.name}/${name}`,
      retention: props.stage.logRetention,
    });
    this.logGroups.set(name, group);
    return group;
  }

  private addService(row: ServiceRow, props: ServicesProps): void {
    const taskRole = new Role(this, `${row.name}TaskRole`, {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `microbazaar ${row.name}: what the code calls on AWS, nothing else`,
    });
    this.taskRoles.set(row.name, taskRole);
    if (row.name === 'product') {
      // pictures: put and delete objects, and HeadBucket for /health/ready; nothing else, no other bucket
      taskRole.addToPolicy(
        new PolicyStatement({
          actions: ['s3:PutObject', 's3:DeleteObject'],
          resources: [props.media.media.arnForObjects('*')],
        }),
      );
      taskRole.addToPolicy(
        new PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.media.media.bucketArn] }),
      );
      Validations.of(taskRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(props.media.media.node.defaultChild as CfnBucket)}.Arn>/*]`,
        reason:
          'Every picture upload gets a new key under the pictures bucket: put and delete must reach any key in that one bucket.',
      });
    }
    const task = new FargateTaskDefinition(this, `${row.name}Task`, {
      family: `microbazaar-${props.stage.name}-${row.name}`,
      ...taskSize(row.memory),
      taskRole,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.X86_64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });
    task.addVolume({ name: 'tmp' });
    task.addVolume({ name: 'data' });
    acknowledgeTaskDefinition(task);
    const container = task.addContainer(row.name, {
      image: this.image(props, row.name),
      portMappings: [{ name: 'http', containerPort: row.port, appProtocol: AppProtocol.http }],
      environment: this.environment(props, row),
      secrets: this.secrets(props, row),
      logging: LogDrivers.awsLogs({ logGroup: this.logGroup(props, row.name), streamPrefix: row.name }),
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${row.port}/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
        ],
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      readonlyRootFilesystem: true,
      user: '1000:1000',
      stopTimeout: STOP_TIMEOUT,
    });
    container.addMountPoints(
      { sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false },
      { sourceVolume: 'data', containerPath: '/data', readOnly: false },
    );

    const service = new FargateService(this, `${row.name}Service`, {
      serviceName: row.name,
      cluster: this.cluster,
      taskDefinition: task,
      desiredCount: props.stage.services.minTasks,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroups.get(row.name)!],
      assignPublicIp: false,
      // a new task is healthy before an old one stops; a deployment that never gets healthy rolls back
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      capacityProviderStrategies: [
        { capacityProvider: props.stage.services.spot ? 'FARGATE_SPOT' : 'FARGATE', weight: 1 },
      ],
      serviceConnectConfiguration: {
        services: [{ portMappingName: 'http', dnsName: row.name, port: row.port }],
        logDriver: LogDrivers.awsLogs({ logGroup: this.logGroups.get(row.name)!, streamPrefix: 'service-connect' }),
      },
      enableExecuteCommand: false,
    });
    this.services.set(row.name, service);

    const scaling = service.autoScaleTaskCount({
      minCapacity: props.stage.services.minTasks,
      maxCapacity: row.autoscale ? props.stage.services.maxTasks : Math.max(props.stage.services.minTasks, 4),
    });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: row.autoscale ? 60 : 75,
      scaleInCooldown: Duration.minutes(5),
      scaleOutCooldown: Duration.minutes(1),
    });
  }

  /** `aws ecs run-task` at each deploy: the migrations, then the broker topology (deploy/aws/README.md). */
  private addMigrateTask(props: ServicesProps): FargateTaskDefinition {
    const task = new FargateTaskDefinition(this, 'MigrateTask', {
      family: `microbazaar-${props.stage.name}-migrate`,
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.X86_64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });
    acknowledgeTaskDefinition(task);
    task.addContainer('migrate', {
      image: this.image(props, 'platform'),
      command: ['sh', '-c', 'node scripts/dist/migrate.js && node scripts/dist/events.js topology declare'],
      environment: this.environment(props, undefined),
      secrets: this.secrets(props, undefined),
      logging: LogDrivers.awsLogs({ logGroup: this.logGroup(props, 'migrate'), streamPrefix: 'migrate' }),
      readonlyRootFilesystem: true,
      user: '1000:1000',
    });
    const sg = new SecurityGroup(this, 'MigrateSg', {
      vpc: props.vpc,
      description: 'the migrate task: to the database and the broker',
      allowAllOutbound: true,
    });
    this.securityGroups.set('migrate', sg);
    props.data.allowFrom(sg, { database: true, cache: false, bus: true });
    return task;
  }
}
