// One ECR repository per Dockerfile target, in a stack of its own: deployed first, the images pushed to it
// (CI or `docker build --target <service>` + `docker push`), then the shop stack runs them by tag.
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Repository, TagMutability } from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';
import { SERVICES, type StageConfig } from './config.js';

export class ImagesStack extends Stack {
  readonly repositories = new Map<string, Repository>();

  constructor(scope: Construct, id: string, props: StackProps & { stage: StageConfig }) {
    super(scope, id, props);
    for (const name of [...SERVICES.map((s) => s.name), 'platform']) {
      const repository = new Repository(this, `Repo-${name}`, {
        repositoryName: `microbazaar-${props.stage.name}/${name}`,
        imageScanOnPush: true,
        // a tag names one build forever: what runs is what was tested
        imageTagMutability: TagMutability.IMMUTABLE,
        lifecycleRules: [{ description: 'keep the last 30 images', maxImageCount: 30 }],
        removalPolicy: props.stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        emptyOnDelete: !props.stage.retainData,
      });
      this.repositories.set(name, repository);
    }
  }
}
