// What someone on call looks at: alarms (5xx rate and p99 latency at the load balancer, each consumer queue's
// depth and its dead letters, database CPU and free storage) to an SNS topic, and one dashboard.
import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { HttpCodeElb, HttpCodeTarget } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { SERVICES, type StageConfig } from './config.js';
import type { DataStores } from './data.js';
import type { Services } from './services.js';

export class Observability extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(
    scope: Construct,
    id: string,
    props: { stage: StageConfig; services: Services; data: DataStores; alarmEmail?: string | undefined },
  ) {
    super(scope, id);
    const { services, data } = props;
    this.topic = new Topic(this, 'Alarms', {
      displayName: `microbazaar ${props.stage.name} alarms`,
      masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);
    const alarm = (_what: string, a: Alarm) => {
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
      return a;
    };

    const lb = services.loadBalancer.metrics;
    const requests = lb.requestCount({ period: Duration.minutes(1) });
    const target5xx = services.targetGroup.metrics.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, {
      period: Duration.minutes(1),
    });
    const elb5xx = lb.httpCodeElb(HttpCodeElb.ELB_5XX_COUNT, { period: Duration.minutes(1) });
    const errorRate = new MathExpression({
      label: '5xx %',
      expression: '100 * (FILL(t5, 0) + FILL(e5, 0)) / FILL(req, 1)',
      usingMetrics: { t5: target5xx, e5: elb5xx, req: requests },
      period: Duration.minutes(1),
    });
    alarm(
      '5xx',
      errorRate.createAlarm(this, 'ErrorRate', {
        alarmDescription: 'More than 1% of requests answered 5xx for 3 of 5 minutes',
        threshold: 1,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    const p99 = services.targetGroup.metrics.targetResponseTime({ statistic: 'p99', period: Duration.minutes(1) });
    alarm(
      'p99',
      p99.createAlarm(this, 'LatencyP99', {
        alarmDescription: 'p99 latency at the load balancer above 1.5 s for 5 minutes',
        threshold: 1.5,
        evaluationPeriods: 5,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );

    // Amazon MQ for RabbitMQ publishes per-queue metrics (Broker, VirtualHost, Queue)
    const queueMetric = (queue: string) =>
      new Metric({
        namespace: 'AWS/AmazonMQ',
        metricName: 'MessageCount',
        dimensionsMap: { Broker: data.brokerName, VirtualHost: '/', Queue: queue },
        statistic: 'Maximum',
        period: Duration.minutes(1),
      });
    const queues = SERVICES.map((s) => s.queue).filter((q): q is string => q !== null);
    for (const queue of queues) {
      alarm(
        `${queue} depth`,
        queueMetric(queue).createAlarm(this, `Depth-${queue}`, {
          alarmDescription: `${queue}: more than 1 000 messages waiting for 10 minutes (its consumer is down or slow)`,
          threshold: 1000,
          evaluationPeriods: 10,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
      alarm(
        `${queue}.dlq`,
        queueMetric(`${queue}.dlq`).createAlarm(this, `Dlq-${queue}`, {
          alarmDescription: `${queue}.dlq holds dead letters: inspect with npm run events -- dlq list ${queue}`,
          threshold: 0,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    alarm(
      'db cpu',
      data.database.metricCPUUtilization({ period: Duration.minutes(5) }).createAlarm(this, 'DatabaseCpu', {
        alarmDescription: 'Database CPU above 80% for 15 minutes',
        threshold: 80,
        evaluationPeriods: 3,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      }),
    );
    alarm(
      'db storage',
      data.database.metricFreeStorageSpace({ period: Duration.minutes(5) }).createAlarm(this, 'DatabaseStorage', {
        alarmDescription: 'Less than 2 GiB of database storage left',
        threshold: 2 * 1024 ** 3,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      }),
    );

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `microbazaar-${props.stage.name}`,
      widgets: [
        [
          new GraphWidget({ title: 'Requests / min', left: [requests], width: 8 }),
          new GraphWidget({ title: '5xx %', left: [errorRate], width: 8 }),
          new GraphWidget({
            title: 'Latency p50 / p99 (s)',
            left: [services.targetGroup.metrics.targetResponseTime({ statistic: 'p50' }), p99],
            width: 8,
          }),
        ],
        [
          new GraphWidget({
            title: 'CPU % by service',
            left: [...services.services.values()].map((s) => s.metricCpuUtilization()),
            width: 12,
          }),
          new GraphWidget({
            title: 'Memory % by service',
            left: [...services.services.values()].map((s) => s.metricMemoryUtilization()),
            width: 12,
          }),
        ],
        [
          new GraphWidget({ title: 'Queue depth', left: queues.map(queueMetric), width: 12 }),
          new GraphWidget({ title: 'Dead letters', left: queues.map((q) => queueMetric(`${q}.dlq`)), width: 12 }),
        ],
        [
          new GraphWidget({
            title: 'Database CPU % / connections',
            left: [data.database.metricCPUUtilization()],
            right: [data.database.metricDatabaseConnections()],
            width: 24,
          }),
        ],
      ],
    });
  }
}
