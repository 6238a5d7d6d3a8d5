// The CDK app synthesized in this process for both stages (no AWS account, no network), with cdk-nag's
// AwsSolutions checks (synth fails on any finding not acknowledged with a reason), then the properties that
// matter asserted on the templates, and cfn-lint run on them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app.js';
import { SERVICES } from '../lib/config.js';

const AWS_DIR = join(import.meta.dirname, '..');

/**
 * cfn-lint findings that come from CDK's own constructs and say nothing about this app: a DependsOn that a Ref
 * also implies (W3005), and the AccessControl CDK sets on the log bucket so CloudFront may write there (W3045).
 */
const CFN_LINT_IGNORED = ['W3005', 'W3045'];

interface Synth {
  app: App;
  shop: Template;
  images: Template;
  templates: string[];
  outdir: string;
}

function synth(stage: 'dev' | 'production'): Synth {
  const outdir = mkdtempSync(join(tmpdir(), `mb-cdk-${stage}-`));
  const app = new App({ outdir });
  const stacks = buildApp(app, { stage });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // throws "Validation failed" with the report when a finding is not acknowledged
  const assembly = app.synth();
  const shop = assembly.getStackByName(stacks.shop.stackName);
  const images = assembly.getStackByName(stacks.images.stackName);
  return {
    app,
    outdir,
    shop: Template.fromJSON(shop.template),
    images: Template.fromJSON(images.template),
    templates: [join(outdir, shop.templateFile), join(outdir, images.templateFile)],
  };
}

/** Every cdk-nag acknowledgement in the app (metadata `{ "<plugin>::<rule>": reason }`), with its construct. */
function acknowledgements(app: App): Array<{ path: string; id: string; reason: string }> {
  const found: Array<{ path: string; id: string; reason: string }> = [];
  for (const c of app.node.findAll() as IConstruct[])
    for (const entry of c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>))
        if (id.includes('AwsSolutions-')) found.push({ path: c.node.path, id, reason });
  return found;
}

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation resources are checked field by field
type Resource = { Type: string; Properties: Record<string, any> };
const resources = (t: Template, type: string): Resource[] => Object.values(t.findResources(type)) as Resource[];
/** the task definitions of the services (not the migrate task) */
const serviceTasks = (t: Template) =>
  resources(t, 'AWS::ECS::TaskDefinition').filter((x) => !String(x.Properties.Family).endsWith('-migrate'));

it('the CDK app type-checks', () => {
  execFileSync(process.execPath, [join(AWS_DIR, '../../node_modules/typescript/bin/tsc'), '-p', AWS_DIR], {
    stdio: 'pipe',
  });
}, 180_000);

for (const stage of ['dev', 'production'] as const) {
  describe(`stage ${stage}`, () => {
    let s: Synth;
    beforeAll(() => {
      s = synth(stage);
    }, 300_000);
    afterAll(() => rmSync(s?.outdir ?? '/nonexistent', { recursive: true, force: true }));

    it('passes cdk-nag AwsSolutions: no finding left unacknowledged, each acknowledgement says why', () => {
      // synth() above would have thrown on an unacknowledged error
      const acks = acknowledgements(s.app);
      expect(acks.length).toBeGreaterThan(0);
      for (const a of acks) expect(a.reason?.length ?? 0, `${a.path} ${a.id}`).toBeGreaterThan(40);
    });

    it('puts the services in private subnets and the data in isolated ones, over two availability zones', () => {
      const subnets = resources(s.shop, 'AWS::EC2::Subnet');
      expect(subnets.length).toBe(6);
      s.shop.resourceCountIs('AWS::EC2::FlowLog', 1);
      for (const svc of resources(s.shop, 'AWS::ECS::Service')) {
        const net = svc.Properties.NetworkConfiguration.AwsvpcConfiguration;
        expect(net.AssignPublicIp).toBe('DISABLED');
        for (const subnet of net.Subnets) expect(JSON.stringify(subnet)).toMatch(/servicesSubnet/);
      }
      const dbSubnets = resources(s.shop, 'AWS::RDS::DBSubnetGroup')[0]!.Properties.SubnetIds;
      for (const subnet of dbSubnets) expect(JSON.stringify(subnet)).toMatch(/dataSubnet/);
      for (const subnet of resources(s.shop, 'AWS::ElastiCache::SubnetGroup')[0]!.Properties.SubnetIds)
        expect(JSON.stringify(subnet)).toMatch(/dataSubnet/);
    });

    it('runs one ECS service per microservice, each with its own task role, Service Connect name and autoscaling', () => {
      const services = resources(s.shop, 'AWS::ECS::Service');
      expect(services.map((x) => x.Properties.ServiceName).sort()).toEqual(SERVICES.map((x) => x.name).sort());
      for (const row of SERVICES) {
        const svc = services.find((x) => x.Properties.ServiceName === row.name)!;
        expect(svc.Properties.ServiceConnectConfiguration.Services[0]).toMatchObject({
          PortName: 'http',
          ClientAliases: [{ DnsName: row.name, Port: row.port }],
        });
        expect(svc.Properties.DeploymentConfiguration).toMatchObject({
          MinimumHealthyPercent: 100,
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        });
      }
      const serviceTaskRoles = serviceTasks(s.shop).map((t) => JSON.stringify(t.Properties.TaskRoleArn));
      expect(new Set(serviceTaskRoles).size).toBe(SERVICES.length);
      s.shop.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', SERVICES.length);
      s.shop.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', SERVICES.length);
    });

    it('gives the task roles least privilege: product may put and delete pictures, no one else has anything', () => {
      const policies = resources(s.shop, 'AWS::IAM::Policy');
      const taskRolePolicies = policies.filter((p) =>
        p.Properties.Roles.some((r: { Ref: string }) => /TaskRole/.test(r.Ref) && !/ExecutionRole/.test(r.Ref)),
      );
      expect(taskRolePolicies.length).toBe(1);
      const statements = taskRolePolicies[0]!.Properties.PolicyDocument.Statement as Array<{
        Action: string | string[];
        Resource: unknown;
      }>;
      expect(statements.flatMap((st) => [st.Action].flat()).sort()).toEqual([
        's3:DeleteObject',
        's3:ListBucket',
        's3:PutObject',
      ]);
      for (const p of policies)
        for (const st of p.Properties.PolicyDocument.Statement)
          expect([st.Action].flat(), JSON.stringify(st)).not.toContain('*');
      // secrets reach the containers through `secrets`, never in plain environment
      for (const t of resources(s.shop, 'AWS::ECS::TaskDefinition'))
        for (const c of t.Properties.ContainerDefinitions)
          for (const e of c.Environment ?? []) expect(e.Name).not.toMatch(/PASSWORD|SECRET|TOKEN|_KEY$/);
    });

    it('a stopping task drains within the stop timeout: readiness 503 for DRAIN_DELAY_MS, then SHUTDOWN_TIMEOUT_MS', () => {
      for (const t of serviceTasks(s.shop)) {
        const c = t.Properties.ContainerDefinitions[0];
        const env = Object.fromEntries(
          (c.Environment ?? []).map((e: { Name: string; Value: string }) => [e.Name, e.Value]),
        );
        expect(Number(env.DRAIN_DELAY_MS)).toBeGreaterThanOrEqual(5000);
        expect(c.StopTimeout * 1000).toBeGreaterThan(Number(env.DRAIN_DELAY_MS) + Number(env.SHUTDOWN_TIMEOUT_MS));
      }
    });

    it('health: the load balancer checks /health/ready, the containers /health/live; HTTPS with HTTP redirected', () => {
      s.shop.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        HealthCheckPath: '/health/ready',
        Port: 8080,
      });
      for (const t of serviceTasks(s.shop))
        expect(JSON.stringify(t.Properties.ContainerDefinitions[0].HealthCheck.Command)).toContain('/health/live');
      s.shop.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 443,
        Protocol: 'HTTPS',
        Certificates: [{ CertificateArn: { Ref: 'CertificateArn' } }],
      });
      s.shop.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 80,
        DefaultActions: [
          Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443' }) }),
        ],
      });
      s.shop.hasParameter('CertificateArn', { Type: 'String' });
    });

    it(`PostgreSQL: encrypted, private, backed up, ${stage === 'production' ? 'Multi-AZ' : 'single-AZ'}, credentials in Secrets Manager`, () => {
      const db = resources(s.shop, 'AWS::RDS::DBInstance')[0]!.Properties;
      expect(db.StorageEncrypted).toBe(true);
      expect(db.PubliclyAccessible).toBe(false);
      expect(db.MultiAZ).toBe(stage === 'production');
      expect(db.BackupRetentionPeriod).toBeGreaterThanOrEqual(stage === 'production' ? 7 : 1);
      expect(db.DeletionProtection).toBe(stage === 'production');
      expect(JSON.stringify(db.MasterUserPassword)).toContain('resolve:secretsmanager');
      s.shop.hasResourceProperties('AWS::RDS::DBParameterGroup', {
        Parameters: Match.objectLike({ 'rds.force_ssl': '1' }),
      });
    });

    it('Redis and RabbitMQ: private, encrypted in transit, with credentials', () => {
      const cache = resources(s.shop, 'AWS::ElastiCache::ReplicationGroup')[0]!.Properties;
      expect(cache).toMatchObject({ TransitEncryptionEnabled: true, AtRestEncryptionEnabled: true });
      expect(JSON.stringify(cache.AuthToken)).toContain('resolve:secretsmanager');
      expect(cache.MultiAZEnabled).toBe(stage === 'production');
      const mq = resources(s.shop, 'AWS::AmazonMQ::Broker')[0]!.Properties;
      expect(mq).toMatchObject({
        EngineType: 'RABBITMQ',
        PubliclyAccessible: false,
        DeploymentMode: stage === 'production' ? 'CLUSTER_MULTI_AZ' : 'SINGLE_INSTANCE',
      });
    });

    it('media: S3 buckets closed to the public, read by CloudFront through Origin Access Control', () => {
      for (const b of resources(s.shop, 'AWS::S3::Bucket')) {
        expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
        expect(b.Properties.BucketEncryption).toBeDefined();
      }
      s.shop.resourceCountIs('AWS::CloudFront::OriginAccessControl', 2);
      const origins = resources(s.shop, 'AWS::CloudFront::Distribution')[0]!.Properties.DistributionConfig.Origins;
      for (const o of origins) expect(o.OriginAccessControlId).toBeDefined();
      const policies = JSON.stringify(resources(s.shop, 'AWS::S3::BucketPolicy'));
      expect(policies).toContain('cloudfront.amazonaws.com');
      expect(policies).toContain('AWS:SourceArn');
    });

    it('logs: every log group has a retention', () => {
      const groups = resources(s.shop, 'AWS::Logs::LogGroup');
      expect(groups.length).toBeGreaterThanOrEqual(SERVICES.length);
      for (const g of groups) expect(g.Properties.RetentionInDays).toBe(stage === 'production' ? 90 : 7);
    });

    it('alarms on 5xx rate, p99 latency, queue depth and dead letters, database CPU; one dashboard', () => {
      const alarms = resources(s.shop, 'AWS::CloudWatch::Alarm');
      const text = JSON.stringify(alarms);
      expect(text).toContain('HTTPCode_Target_5XX_Count');
      expect(text).toContain('TargetResponseTime');
      expect(text).toContain('"ExtendedStatistic":"p99"');
      for (const q of SERVICES.map((x) => x.queue).filter(Boolean)) {
        expect(text).toContain(`"Value":"${q}"`);
        expect(text).toContain(`"Value":"${q}.dlq"`);
      }
      expect(text).toContain('CPUUtilization');
      for (const a of alarms) expect(a.Properties.AlarmActions?.length ?? 0).toBe(1);
      s.shop.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    });

    it(stage === 'production' ? 'puts the WAF in front of the load balancer' : 'has no WAF in dev (optional)', () => {
      s.shop.resourceCountIs('AWS::WAFv2::WebACL', stage === 'production' ? 1 : 0);
      s.shop.resourceCountIs('AWS::WAFv2::WebACLAssociation', stage === 'production' ? 1 : 0);
    });

    it('an image repository per service and the platform: scanned, tags immutable', () => {
      const repos = resources(s.images, 'AWS::ECR::Repository');
      expect(repos.length).toBe(SERVICES.length + 1);
      for (const r of repos) {
        expect(r.Properties.ImageScanningConfiguration).toEqual({ ScanOnPush: true });
        expect(r.Properties.ImageTagMutability).toBe('IMMUTABLE');
      }
    });

    it('cfn-lint finds nothing in the templates', () => {
      const result = spawnSync(
        'cfn-lint',
        ['--format', 'parseable', '--ignore-checks', ...CFN_LINT_IGNORED, '--', ...s.templates],
        {
          encoding: 'utf8',
        },
      );
      if (result.error) throw new Error(`cfn-lint is not installed (pip install cfn-lint): ${result.error.message}`);
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    }, 300_000);
  });
}
