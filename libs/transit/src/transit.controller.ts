import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { DEFAULT_PAGE_SIZE, Idempotent, PageQuery, Public } from '@app/common';
import type { Page } from '@app/common';
import { CurrentDevice, CurrentUser, DeviceAuth, OrgRole, RequireKyc } from '@app/identity';
import type { AuthenticatedDevice, AuthenticatedUser } from '@app/identity';
import type { Jwks } from '@app/paycode';
import { BlocklistQuery, CreateRouteDto, FarePolicyDto, RideCredentialDto, CreateVehicleDto, EmptyDto, ScanToPayDto, SettlementQuery, TapsDto } from './dto/transit.dto.js';
import { RidersService, type BlocklistView, type RideCodeView, type RideCredentialView } from './riders.service.js';
import { RoutesService, type RouteView, type VehicleView } from './routes.service.js';
import { TapsService, type TapResult } from './taps.service.js';
import { TripsService, type TripView } from './trips.service.js';

@ApiTags('transit')
@ApiBearerAuth()
@Controller('v1/transit')
export class TransitController {
  constructor(
    private readonly routes: RoutesService,
    private readonly riders: RidersService,
    private readonly taps: TapsService,
    private readonly trips: TripsService,
  ) {}

  /** A route of the caller's operator, with its FLAT or DISTANCE fare. */
  @Post('routes')
  createRoute(@CurrentUser() user: AuthenticatedUser, @Body() body: CreateRouteDto): Promise<RouteView> {
    return this.routes.createRoute(user, body);
  }

  @Get('routes')
  listRoutes(@CurrentUser() user: AuthenticatedUser, @Query() q: { operatorId?: string }): Promise<RouteView[]> {
    return this.routes.routes(user, q.operatorId);
  }

  /** A vehicle on a route, with its bus-door sticker (EMVCo MPM payload and SVG). */
  @Post('vehicles')
  createVehicle(@CurrentUser() user: AuthenticatedUser, @Body() body: CreateVehicleDto): Promise<VehicleView> {
    return this.routes.createVehicle(user, body);
  }

  @Get('vehicles')
  listVehicles(@CurrentUser() user: AuthenticatedUser, @Query() q: { operatorId?: string }): Promise<VehicleView[]> {
    return this.routes.vehicles(user, q.operatorId);
  }

  /** A ride code (ES256 compact JWS, 60 s) and its QR as SVG; 403 IN_ARREARS while trips are unpaid. */
  @Post('ride-codes')
  @RequireKyc()
  rideCode(@CurrentUser() user: AuthenticatedUser): Promise<RideCodeView> {
    return this.riders.issueRideCode(user.id);
  }

  /** A 24 h credential for the phone's key: the phone then mints ride codes with no network. */
  @Post('ride-credentials')
  @RequireKyc()
  rideCredential(@CurrentUser() user: AuthenticatedUser, @Body() body: RideCredentialDto): Promise<RideCredentialView> {
    return this.riders.issueCredential(user.id, body.publicKey);
  }

  /** The JWKS readers verify ride codes with, offline. */
  @Public()
  @Get('keys')
  keys(): Promise<Jwks> {
    return this.riders.jwks();
  }

  /** Riders whose codes readers refuse: the full list, or the changes after `since`. */
  @Get('blocklist')
  @DeviceAuth('BUS_READER')
  blocklist(@Query() q: BlocklistQuery): Promise<BlocklistView> {
    return this.riders.blocklist(q.since === undefined ? undefined : Number(q.since));
  }

  /** Taps of a reader, up to 500, possibly hours old; each answered on its own. */
  @Post('taps')
  @HttpCode(200)
  @DeviceAuth('BUS_READER')
  upload(@CurrentDevice() device: AuthenticatedDevice, @Body() body: TapsDto): Promise<{ results: TapResult[] }> {
    return this.taps.upload(device, body.taps);
  }

  @Post('scan-to-pay')
  @RequireKyc()
  @Idempotent()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  scanToPay(@CurrentUser() user: AuthenticatedUser, @Body() body: ScanToPayDto): ReturnType<TripsService['scanToPay']> {
    return this.trips.scanToPay(user.id, body.vehicleQr, body.method ?? 'WALLET');
  }

  @Get('trips')
  history(@CurrentUser() user: AuthenticatedUser, @Query() q: PageQuery): Promise<Page<TripView>> {
    return this.trips.history(user.id, q.limit ?? DEFAULT_PAGE_SIZE, q.cursor);
  }

  /** What the rider owes: unpaid trips and their total per currency, and whether codes are blocked. */
  @Get('arrears')
  arrears(@CurrentUser() user: AuthenticatedUser): ReturnType<TripsService['arrears']> {
    return this.trips.arrears(user.id);
  }

  /** Pays every unpaid trip from the wallet; codes work again. */
  @Post('arrears/pay')
  @Idempotent()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  payArrears(@CurrentUser() user: AuthenticatedUser, @Body() _body: EmptyDto): ReturnType<RidersService['payArrears']> {
    return this.riders.payArrears(user.id);
  }

  /** The operator's fare policy (transfer, daily cap, senior concession) for trips boarded from now on. */
  @Put('operators/:operatorId/fare-policy')
  @OrgRole('ORG_ADMIN', { param: 'operatorId' })
  putFarePolicy(@CurrentUser() user: AuthenticatedUser, @Param('operatorId') operatorId: string, @Body() body: FarePolicyDto): ReturnType<RoutesService['putFarePolicy']> {
    return this.routes.putFarePolicy(operatorId, body, user.id);
  }

  @Get('operators/:operatorId/fare-policy')
  @OrgRole(['ORG_ADMIN', 'ORG_OPERATOR'], { param: 'operatorId' })
  farePolicy(@Param('operatorId') operatorId: string): ReturnType<RoutesService['farePolicy']> {
    return this.routes.farePolicy(operatorId);
  }

  /** Per route, the trips charged that Asia/Shanghai day: count and total. */
  @Get('settlements')
  async settlements(@CurrentUser() user: AuthenticatedUser, @Query() q: SettlementQuery): ReturnType<TripsService['settlement']> {
    const operatorId = await this.routes.operatorFor(user, q.operatorId);
    return this.trips.settlement(operatorId, q.date);
  }
}
