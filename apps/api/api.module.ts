import { Module } from '@nestjs/common';
import { CarrierFilesModule, ExportDownloadController, ExportDownloadFilter, GraphqlApiModule } from '@app/api';
import { ExportsModule } from '@app/exports';

/** The reporting API: GraphQL, the CSV files of export runs, and carrier file uploads. */
@Module({
  imports: [GraphqlApiModule, CarrierFilesModule, ExportsModule],
  controllers: [ExportDownloadController],
  providers: [ExportDownloadFilter],
})
export class ApiModule {}
