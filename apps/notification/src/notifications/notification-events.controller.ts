import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { RequestCreatedEvent, RoutingKey } from '@statex/contracts';
import { EventContext } from '@statex/messaging';
import { AcknowledgementService } from './acknowledgement.service';

@Controller()
export class NotificationEventsController {
  constructor(private readonly acknowledgements: AcknowledgementService) {}

  @EventPattern(RoutingKey.RequestCreated)
  onRequestCreated(@Payload() event: RequestCreatedEvent, @Ctx() ctx: EventContext): Promise<void> {
    return this.acknowledgements.acknowledge(event, ctx);
  }
}
