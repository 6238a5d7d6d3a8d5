// The data stores, in isolated subnets (no route to or from the internet): RDS PostgreSQL, Amazon MQ for
// RabbitMQ and ElastiCache Redis, each encrypted at rest and in transit, credentials generated into Secrets
// Manager. The services get connection settings that name no secret in plain text: DATABASE_URL without
// credentials plus PGUSER/PGPASSWORD from the database's secret; REDIS_URL and RABBITMQ_URL from secrets.
import { Fn, RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import { CfnBroker } from 'aws-cdk-lib/aws-amazonmq';
import { Port, SecurityGroup, SubnetType, type Vpc } from 'aws-cdk-lib/aws-ec2';
import { CfnReplicationGroup, CfnSubnetGroup } from 'aws-cdk-lib/aws-elasticache';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import {
  CaCertificate,
  Credentials,
  DatabaseInstance,
  DatabaseInstanceEngine,
  ParameterGroup,
  PostgresEngineVersion,
} from 'aws-cdk-lib/aws-rds';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { StageConfig } from './config.js';

/** characters that need no escaping inside a URL's userinfo, nor in Amazon MQ passwords */
const URL_UNSAFE = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\,=^';

export class DataStores extends Construct {
  readonly database: DatabaseInstance;
  readonly databaseSecurityGroup: SecurityGroup;
  readonly cacheSecurityGroup: SecurityGroup;
  readonly brokerSecurityGroup: SecurityGroup;
  /** postgres://<host>:<port>/microbazaar?sslmode=require (credentials come as PGUSER/PGPASSWORD) */
  readonly databaseUrl: string;
  readonly redisUrl: Secret;
  readonly rabbitmqUrl: Secret;
  readonly broker: CfnBroker;
  readonly brokerName: string;

  constructor(scope: Construct, id: string, props: { vpc: Vpc; stage: StageConfig }) {
    super(scope, id);
    const { vpc, stage } = props;
    const isolated = { subnetType: SubnetType.PRIVATE_ISOLATED };
    const removal = stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // --- PostgreSQL: one database, one schema per service --------------------------------------------
    this.databaseSecurityGroup = new SecurityGroup(this, 'DatabaseSg', {
      vpc,
      description: 'PostgreSQL: from the services that keep SQL',
      allowAllOutbound: false,
    });
    const parameters = new ParameterGroup(this, 'DatabaseParameters', {
      engine: DatabaseInstanceEngine.postgres({ version: PostgresEngineVersion.VER_16_13 }),
      parameters: { 'rds.force_ssl': '1', log_min_duration_statement: '1000' },
    });
    this.database = new DatabaseInstance(this, 'Database', {
      engine: DatabaseInstanceEngine.postgres({ version: PostgresEngineVersion.VER_16_13 }),
      instanceType: stage.database.instanceType,
      vpc,
      vpcSubnets: isolated,
      securityGroups: [this.databaseSecurityGroup],
      databaseName: 'microbazaar',
      credentials: Credentials.fromGeneratedSecret('microbazaar', { excludeCharacters: URL_UNSAFE }),
      multiAz: stage.database.multiAz,
      allocatedStorage: stage.database.allocatedStorageGiB,
      maxAllocatedStorage: stage.database.allocatedStorageGiB * 4,
      storageEncrypted: true,
      backupRetention: stage.database.backupRetention,
      deletionProtection: stage.database.deletionProtection,
      removalPolicy: stage.database.removalPolicy,
      parameterGroup: parameters,
      caCertificate: CaCertificate.RDS_CA_RSA2048_G1,
      iamAuthentication: true,
      instanceIdentifier: `microbazaar-${stage.name}`,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      enablePerformanceInsights: true,
      autoMinorVersionUpgrade: true,
      publiclyAccessible: false,
    });
    // RDS writes its logs to these groups; made here with a retention (no log-retention Lambda)
    for (const log of ['postgresql', 'upgrade']) {
      const group = new LogGroup(this, `DatabaseLogs-${log}`, {
        logGroupName: `/aws/rds/instance/microbazaar-${stage.name}/${log}`,
        retention: stage.logRetention,
        removalPolicy: removal,
      });
      this.database.node.addDependency(group);
    }
    this.databaseUrl = `postgres://${this.database.dbInstanceEndpointAddress}:${this.database.dbInstanceEndpointPort}/microbazaar?sslmode=require`;
    Validations.of(this.database).acknowledge(
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'The services read PGUSER/PGPASSWORD once at start: an automatic rotation would lock running tasks out until they restart. Rotate with `aws secretsmanager rotate-secret`, then force a new deployment (deploy/aws/README.md).',
      },
      {
        id: 'AwsSolutions-RDS11',
        reason:
          'The default port: the instance is reachable only from the services security groups in isolated subnets.',
      },
    );
    if (!stage.database.multiAz)
      Validations.of(this.database).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason: 'The dev stage is single-AZ on purpose (cost); production is Multi-AZ.',
      });
    if (!stage.database.deletionProtection)
      Validations.of(this.database).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: 'The dev stage may be torn down; a snapshot is taken on delete. Production has deletion protection.',
      });

    // --- Redis (ElastiCache): TLS, AUTH token, encrypted at rest --------------------------------------
    this.cacheSecurityGroup = new SecurityGroup(this, 'CacheSg', {
      vpc,
      description: 'Redis: from the services that use the cache',
      allowAllOutbound: false,
    });
    const cacheToken = new Secret(this, 'CacheToken', {
      description: 'ElastiCache Redis AUTH token',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: removal,
    });
    const cacheSubnets = new CfnSubnetGroup(this, 'CacheSubnets', {
      description: 'microbazaar redis',
      subnetIds: vpc.selectSubnets(isolated).subnetIds,
    });
    const cache = new CfnReplicationGroup(this, 'Cache', {
      replicationGroupDescription: 'microbazaar rate limits, carts, live notices',
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: stage.cache.nodeType,
      numCacheClusters: 1 + stage.cache.replicas,
      automaticFailoverEnabled: stage.cache.replicas > 0,
      multiAzEnabled: stage.cache.replicas > 0,
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      authToken: cacheToken.secretValue.unsafeUnwrap(),
      cacheSubnetGroupName: cacheSubnets.ref,
      securityGroupIds: [this.cacheSecurityGroup.securityGroupId],
      port: 6379,
      snapshotRetentionLimit: stage.retainData ? 7 : 0,
      autoMinorVersionUpgrade: true,
    });
    cache.applyRemovalPolicy(removal);
    this.redisUrl = new Secret(this, 'RedisUrl', {
      description: 'REDIS_URL of the services (TLS, AUTH token)',
      secretStringValue: SecretValue.unsafePlainText(
        Fn.join('', [
          'rediss://:',
          cacheToken.secretValue.unsafeUnwrap(),
          '@',
          cache.attrPrimaryEndPointAddress,
          ':',
          cache.attrPrimaryEndPointPort,
        ]),
      ),
      removalPolicy: removal,
    });
    Validations.of(cache).acknowledge({
      id: 'AwsSolutions-AEC5',
      reason: 'The default port: reachable only from the services security groups in isolated subnets.',
    });
    if (stage.cache.replicas === 0)
      Validations.of(cache).acknowledge({
        id: 'AwsSolutions-AEC4',
        reason: 'The dev stage runs one node (cost); production has a replica in another AZ with automatic failover.',
      });

    // --- RabbitMQ (Amazon MQ): AMQPS only, private ----------------------------------------------------
    this.brokerSecurityGroup = new SecurityGroup(this, 'BrokerSg', {
      vpc,
      description: 'RabbitMQ: from the services that publish or consume events',
      allowAllOutbound: false,
    });
    const brokerUser = new Secret(this, 'BrokerUser', {
      description: 'Amazon MQ RabbitMQ user of the services',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'microbazaar' }),
        generateStringKey: 'password',
        passwordLength: 32,
        excludeCharacters: URL_UNSAFE,
      },
      removalPolicy: removal,
    });
    const brokerSubnets = vpc.selectSubnets(isolated).subnetIds;
    this.brokerName = `microbazaar-${stage.name}`;
    this.broker = new CfnBroker(this, 'Broker', {
      brokerName: this.brokerName,
      engineType: 'RABBITMQ',
      engineVersion: '3.13',
      hostInstanceType: stage.broker.instanceType,
      deploymentMode: stage.broker.deploymentMode,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      subnetIds: stage.broker.deploymentMode === 'SINGLE_INSTANCE' ? [Fn.select(0, brokerSubnets)] : brokerSubnets,
      securityGroups: [this.brokerSecurityGroup.securityGroupId],
      logs: { general: true },
      users: [
        {
          username: 'microbazaar',
          password: brokerUser.secretValueFromJson('password').unsafeUnwrap(),
        },
      ],
    });
    // "amqps://b-....mq.<region>.amazonaws.com:5671" → with the user and password in it
    const endpoint = Fn.select(1, Fn.split('amqps://', Fn.select(0, this.broker.attrAmqpEndpoints)));
    this.rabbitmqUrl = new Secret(this, 'RabbitmqUrl', {
      description: 'RABBITMQ_URL of the services (AMQPS)',
      secretStringValue: SecretValue.unsafePlainText(
        Fn.join('', ['amqps://microbazaar:', brokerUser.secretValueFromJson('password').unsafeUnwrap(), '@', endpoint]),
      ),
      removalPolicy: removal,
    });

    for (const secret of [cacheToken, this.redisUrl, brokerUser, this.rabbitmqUrl])
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'ElastiCache and Amazon MQ take their password from the template, and the services read these URLs at start: rotate by changing the secret, updating the stack and forcing a new deployment (deploy/aws/README.md).',
      });
  }

  /** Lets a security group reach the stores a service uses. */
  allowFrom(sg: SecurityGroup, uses: { database: boolean; cache: boolean; bus: boolean }): void {
    if (uses.database) this.databaseSecurityGroup.addIngressRule(sg, Port.tcp(5432), 'PostgreSQL');
    if (uses.cache) this.cacheSecurityGroup.addIngressRule(sg, Port.tcp(6379), 'Redis (TLS)');
    if (uses.bus) this.brokerSecurityGroup.addIngressRule(sg, Port.tcp(5671), 'AMQPS');
  }
}
