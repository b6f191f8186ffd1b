import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { BodyLimit, DEFAULT_PAGE_SIZE, Idempotent, PageQuery, Public } from '@app/common';
import { AlsoDevice, CurrentCaller, CurrentDevice, CurrentUser, DeviceAuth, OrgRole, RequireKyc } from '@app/identity';
import type { AuthenticatedDevice, AuthenticatedUser } from '@app/identity';
import type { Jwks } from '@app/paycode';
import { CardsService } from './cards.service.js';
import type { CardView } from './cards.service.js';
import { ChargesService } from './charges.service.js';
import type { ChargeResult, OfflineResult } from './charges.service.js';
import { CampusCodeKeys } from './code-keys.js';
import { CardTopUpDto, ChargeDto, DateQuery, IssueCardDto, MembersDto, OfflineChargesDto, PinDto, RefundDto, SubsidyDto, UpdateCardDto } from './dto/campus.dto.js';
import { SubsidiesService } from './subsidies.service.js';

const STAFF = ['ORG_ADMIN', 'ORG_OPERATOR'] as const;

@ApiTags('campus')
@ApiBearerAuth()
@Controller('v1/campus')
export class CampusUniversityController {
  constructor(
    private readonly cards: CardsService,
    private readonly subsidies: SubsidiesService,
    private readonly charges: ChargesService,
  ) {}

  /** Roster upsert by memberNo (up to 10,000 a call); `active: false` closes access. */
  @Post(':universityId/members')
  @OrgRole([...STAFF], { param: 'universityId' })
  @BodyLimit(8 * 1024 * 1024)
  members(@Param('universityId') universityId: string, @Body() body: MembersDto): Promise<{ created: number; updated: number }> {
    return this.cards.loadMembers(universityId.toLowerCase(), body.members);
  }

  @Post(':universityId/subsidies')
  @OrgRole([...STAFF], { param: 'universityId' })
  @Idempotent()
  @BodyLimit(2 * 1024 * 1024)
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  subsidy(@Param('universityId') universityId: string, @Body() body: SubsidyDto): ReturnType<SubsidiesService['grant']> {
    return this.subsidies.grant(universityId.toLowerCase(), body);
  }

  @Get('merchants/:merchantId/settlements')
  @OrgRole([...STAFF], { param: 'merchantId' })
  settlement(@Param('merchantId') merchantId: string, @Query() q: DateQuery): ReturnType<ChargesService['settlement']> {
    return this.charges.settlement(merchantId.toLowerCase(), q.date);
  }

  /** By the merchant's staff (user token) or one of its POS devices (device signature), as api.md has it. */
  @Post('charges/:chargeId/refunds')
  @AlsoDevice('POS')
  @Idempotent()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  refund(@CurrentCaller() caller: AuthenticatedUser | AuthenticatedDevice, @Param('chargeId') chargeId: string, @Body() body: RefundDto): ReturnType<ChargesService['refund']> {
    return this.charges.refund(caller, chargeId, body.amount);
  }
}

@ApiTags('campus')
@ApiBearerAuth()
@Controller('v1/campus/cards')
export class CampusCardsController {
  constructor(private readonly cards: CardsService) {}

  @Post()
  @RequireKyc()
  issue(@CurrentUser() user: AuthenticatedUser, @Body() body: IssueCardDto): Promise<CardView> {
    return this.cards.issue(user.id, body.universityId.toLowerCase(), body.memberNo);
  }

  @Get()
  mine(@CurrentUser() user: AuthenticatedUser): Promise<CardView[]> {
    return this.cards.myCards(user.id);
  }

  /** The owner sets dailyLimit, passwordFreeLimit and offlineLimit (up to the default); the university's staff set offlineLimit. */
  @Patch(':cardId')
  update(@CurrentUser() user: AuthenticatedUser, @Param('cardId') cardId: string, @Body() body: UpdateCardDto): Promise<CardView> {
    return this.cards.update(user, cardId, body);
  }

  @Post(':cardId/top-ups')
  @RequireKyc()
  @Idempotent()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  topUp(@CurrentUser() user: AuthenticatedUser, @Param('cardId') cardId: string, @Body() body: CardTopUpDto): ReturnType<CardsService['topUp']> {
    return this.cards.topUp(user, cardId, body);
  }

  /** A single-use card code (60 s) for the POS to scan. */
  @Post(':cardId/codes')
  code(@CurrentUser() user: AuthenticatedUser, @Param('cardId') cardId: string): ReturnType<CardsService['code']> {
    return this.cards.code(user.id, cardId);
  }

  @Post(':cardId/freeze')
  @HttpCode(200)
  freeze(@CurrentUser() user: AuthenticatedUser, @Param('cardId') cardId: string): Promise<CardView> {
    return this.cards.setFrozen(user, cardId, true);
  }

  @Post(':cardId/unfreeze')
  @HttpCode(200)
  unfreeze(@CurrentUser() user: AuthenticatedUser, @Param('cardId') cardId: string): Promise<CardView> {
    return this.cards.setFrozen(user, cardId, false);
  }

  /** 204; the PIN is stored as an argon2id hash, never returned or logged. */
  @Put(':cardId/pin')
  @HttpCode(204)
  async pin(@CurrentUser() user: AuthenticatedUser, @Param('cardId') cardId: string, @Body() body: PinDto): Promise<void> {
    await this.cards.setPin(user.id, cardId, body.pin);
  }

  @Get(':cardId/transactions')
  transactions(@CurrentUser() user: AuthenticatedUser, @Param('cardId') cardId: string, @Query() q: PageQuery): ReturnType<CardsService['transactions']> {
    return this.cards.transactions(user.id, cardId, q.limit ?? DEFAULT_PAGE_SIZE, q.cursor);
  }
}

@ApiTags('campus')
@Controller('v1/campus')
export class CampusPosController {
  constructor(
    private readonly charges: ChargesService,
    private readonly keys: CampusCodeKeys,
  ) {}

  /** JWKS of the keys that sign card codes (POS terminals verify offline). */
  @Get('keys')
  @Public()
  jwks(): Promise<Jwks> {
    return this.keys.jwks();
  }

  /** What a POS needs to work offline: its merchant, its university's code reference (the `aud` of its cards' codes) and the JWKS. */
  @Get('pos/config')
  @DeviceAuth('POS')
  config(@CurrentDevice() device: AuthenticatedDevice): ReturnType<ChargesService['posConfig']> {
    return this.charges.posConfig(device);
  }

  @Post('charges')
  @DeviceAuth('POS')
  @Idempotent()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  charge(@CurrentDevice() device: AuthenticatedDevice, @Body() body: ChargeDto): Promise<ChargeResult> {
    return this.charges.charge(device, body);
  }

  /** Charges a POS took while offline (up to 500, may be hours old); a chargeId sent again is DUPLICATE. */
  @Post('offline-charges')
  @DeviceAuth('POS')
  @HttpCode(200)
  @BodyLimit(2 * 1024 * 1024)
  offline(@CurrentDevice() device: AuthenticatedDevice, @Body() body: OfflineChargesDto): Promise<{ results: OfflineResult[] }> {
    return this.charges.offline(device, body.charges);
  }

  /** A refund by one of the merchant's POS devices (also taken at POST /v1/campus/charges/:chargeId/refunds). */
  @Post('pos/charges/:chargeId/refunds')
  @DeviceAuth('POS')
  @Idempotent()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  posRefund(@CurrentDevice() device: AuthenticatedDevice, @Param('chargeId') chargeId: string, @Body() body: RefundDto): ReturnType<ChargesService['refund']> {
    return this.charges.refund(device, chargeId, body.amount);
  }
}
