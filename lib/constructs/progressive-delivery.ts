import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { deploymentConfigName, type StageSettings } from '../../functions/declaration/stages';
import {
  api as apiSpec,
  functions as functionSpecs,
  routes,
  type FunctionId,
} from '../../functions/declaration/topology';

/** CodeDeploy takes at most 10 CloudWatch alarms per deployment group. */
export const MAX_ALARMS_PER_DEPLOYMENT_GROUP = 10;

/** Functions API Gateway invokes (route targets and the authorizer): a bad release of one shows as API 5xx. */
export function apiFacingFunctions(): Set<FunctionId> {
  return new Set<FunctionId>([...routes.map((route) => route.function), apiSpec.authorizerFunction]);
}

export interface ProgressiveDeliveryProps {
  /** Each function's `live` alias (topology-functions.ts), which every caller invokes. */
  readonly aliases: Record<FunctionId, lambda.Alias>;
  /** The API's stage: its 5xx and p99 latency also roll back releases of the functions behind it. */
  readonly apiStage: apigw.Stage;
  readonly settings: Pick<StageSettings, 'alarms' | 'deployment'>;
}

/**
 * Releases reach each function through CodeDeploy: a deployment group per function moves its `live` alias to the
 * new version as the stage's `deployment` says (at once, linear or canary) and rolls it back when the deployment
 * fails or one of its alarms goes off meanwhile: the alias's errors and throttles, and for the functions behind
 * API Gateway the stage's 5xx and p99 latency. These alarms only roll back; paging is the Observability alarms' job.
 */
export class ProgressiveDelivery extends Construct {
  readonly application: codedeploy.LambdaApplication;
  readonly groups: Record<FunctionId, codedeploy.LambdaDeploymentGroup>;
  /** The alarms each group watches, by function. */
  readonly alarms: Record<FunctionId, cloudwatch.Alarm[]>;

  constructor(scope: Construct, id: string, props: ProgressiveDeliveryProps) {
    super(scope, id);
    const { alarms: thresholds, deployment } = props.settings;
    this.application = new codedeploy.LambdaApplication(this, 'Application');
    const deploymentConfig = codedeploy.LambdaDeploymentConfig.fromLambdaDeploymentConfigName(
      this,
      'Config',
      deploymentConfigName(deployment.traffic),
    );
    // One role for every group (CDK would make one each): CodeDeploy's documented role for Lambda deployments.
    const role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
      description: 'CodeDeploy shifts the live aliases of the platform functions',
    });
    NagSuppressions.addResourceSuppressions(role, [
      {
        id: 'AwsSolutions-IAM4',
        reason:
          'CodeDeploy deployment groups for Lambda need the AWS-managed AWSCodeDeployRoleForLambdaLimited policy ' +
          '(CDK attaches it to the group role): alias updates, alarm reads and hook invocations only.',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited'],
      },
    ]);

    const apiAlarms = [
      this.alarm('ApiServerErrors', {
        metric: props.apiStage.metricServerError({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
        threshold: thresholds.api5xxPerFiveMinutes,
        evaluationPeriods: 1,
        alarmDescription: 'API 5xx during a release: rolls back the functions behind the API',
      }),
      this.alarm('ApiLatencyP99', {
        metric: props.apiStage.metricLatency({ statistic: 'p99', period: Duration.minutes(1) }),
        threshold: thresholds.apiLatencyP99Ms,
        evaluationPeriods: 2,
        alarmDescription: 'API p99 latency during a release: rolls back the functions behind the API',
      }),
    ];
    const behindApi = apiFacingFunctions();

    const groups = {} as Record<FunctionId, codedeploy.LambdaDeploymentGroup>;
    const alarms = {} as Record<FunctionId, cloudwatch.Alarm[]>;
    for (const [functionId, alias] of Object.entries(props.aliases) as [FunctionId, lambda.Alias][]) {
      const specId = functionSpecs[functionId].id;
      const watched = [
        this.alarm(`${specId}Errors`, {
          metric: alias.metricErrors({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1) }),
          threshold: thresholds.functionErrorsPerMinute,
          evaluationPeriods: 1,
          alarmDescription: `${specId} (live alias) errors during a release: rolls it back`,
        }),
        this.alarm(`${specId}Throttles`, {
          metric: alias.metricThrottles({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1) }),
          threshold: thresholds.functionThrottlesPerMinute,
          evaluationPeriods: 1,
          alarmDescription: `${specId} (live alias) throttles during a release: rolls it back`,
        }),
        ...(behindApi.has(functionId) ? apiAlarms : []),
      ];
      if (watched.length > MAX_ALARMS_PER_DEPLOYMENT_GROUP)
        throw new Error(`${specId}: ${watched.length} alarms, CodeDeploy takes ${MAX_ALARMS_PER_DEPLOYMENT_GROUP}`);
      groups[functionId] = new codedeploy.LambdaDeploymentGroup(this, `${specId}Deployment`, {
        application: this.application,
        alias,
        deploymentConfig,
        role,
        alarms: watched,
        autoRollback: {
          failedDeployment: true,
          stoppedDeployment: true,
          deploymentInAlarm: deployment.rollbackOnAlarm,
        },
      });
      alarms[functionId] = watched;
    }
    this.groups = groups;
    this.alarms = alarms;
  }

  /** A rollback alarm: above the threshold; no data (no traffic) is no reason to roll back. */
  private alarm(id: string, props: Omit<cloudwatch.AlarmProps, 'comparisonOperator' | 'treatMissingData'>) {
    return new cloudwatch.Alarm(this, id, {
      ...props,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
