import { Module } from '@nestjs/common';
import { ServiceDefinition, ServiceInfrastructureModule } from '@statex/runtime';
import { ContentEnv } from './content.env';

export const contentService: ServiceDefinition<ContentEnv> = {
  name: 'content',
  description: 'Website content management. Content arrives in its own issue; this service boots with its health, metrics and docs endpoints.',
  env: ContentEnv,
  port: (env) => env.CONTENT_PORT,
  module: (env) => {
    @Module({ imports: [ServiceInfrastructureModule.forRoot({ service: 'content', env })] })
    class ContentModule {}
    return ContentModule;
  },
};
