// The two stages, `dev` (small, cheap, single-AZ data) and `production`, picked with `--context stage=...`,
// and the table of services every deploy artifact shares (deploy/services.json).
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { InstanceClass, InstanceSize, InstanceType } from 'aws-cdk-lib/aws-ec2';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import table from '../../services.json' with { type: 'json' };

export interface ServiceRow {
  name: string;
  port: number;
  public: boolean;
  database: string | null;
  cache: boolean;
  bus: boolean;
  queue: string | null;
  calls: string[];
  egress: string[];
  autoscale: boolean;
  memory: number;
}

export const SERVICES: readonly ServiceRow[] = table.services;

export interface StageConfig {
  name: 'dev' | 'production';
  /** availability zones of the VPC (the load balancer needs two) */
  maxAzs: number;
  natGateways: number;
  database: {
    instanceType: InstanceType;
    multiAz: boolean;
    allocatedStorageGiB: number;
    backupRetention: Duration;
    deletionProtection: boolean;
    removalPolicy: RemovalPolicy;
  };
  broker: { instanceType: string; deploymentMode: 'SINGLE_INSTANCE' | 'CLUSTER_MULTI_AZ' };
  cache: { nodeType: string; replicas: number };
  services: {
    /** tasks of a service that is not scaled on CPU, and the floor of those that are */
    minTasks: number;
    maxTasks: number;
    /** Fargate Spot (interruptible, ~70% cheaper) for every task */
    spot: boolean;
  };
  logRetention: RetentionDays;
  /** objects and data kept when the stack is deleted */
  retainData: boolean;
}

export const STAGES: Record<StageConfig['name'], StageConfig> = {
  dev: {
    name: 'dev',
    maxAzs: 2,
    natGateways: 1,
    database: {
      instanceType: InstanceType.of(InstanceClass.BURSTABLE4_GRAVITON, InstanceSize.MICRO),
      multiAz: false,
      allocatedStorageGiB: 20,
      backupRetention: Duration.days(1),
      deletionProtection: false,
      removalPolicy: RemovalPolicy.SNAPSHOT,
    },
    broker: { instanceType: 'mq.t3.micro', deploymentMode: 'SINGLE_INSTANCE' },
    cache: { nodeType: 'cache.t4g.micro', replicas: 0 },
    services: { minTasks: 1, maxTasks: 2, spot: true },
    logRetention: RetentionDays.ONE_WEEK,
    retainData: false,
  },
  production: {
    name: 'production',
    maxAzs: 2,
    natGateways: 2,
    database: {
      instanceType: InstanceType.of(InstanceClass.MEMORY7_GRAVITON, InstanceSize.LARGE),
      multiAz: true,
      allocatedStorageGiB: 100,
      backupRetention: Duration.days(14),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    },
    broker: { instanceType: 'mq.m5.large', deploymentMode: 'CLUSTER_MULTI_AZ' },
    cache: { nodeType: 'cache.t4g.medium', replicas: 1 },
    services: { minTasks: 2, maxTasks: 10, spot: false },
    logRetention: RetentionDays.THREE_MONTHS,
    retainData: true,
  },
};

export function stageOf(name: unknown): StageConfig {
  const stage = STAGES[(name ?? 'dev') as StageConfig['name']];
  if (!stage) throw new Error(`unknown stage "${String(name)}": dev or production`);
  return stage;
}

/** Fargate sizes: the smallest task (CPU units, MiB) that holds the service's memory. */
export function taskSize(memoryMiB: number): { cpu: number; memoryLimitMiB: number } {
  if (memoryMiB <= 512) return { cpu: 256, memoryLimitMiB: 512 };
  if (memoryMiB <= 1024) return { cpu: 512, memoryLimitMiB: 1024 };
  return { cpu: 1024, memoryLimitMiB: 2048 };
}
