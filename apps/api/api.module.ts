import { Module } from '@nestjs/common';
import { ExportDownloadController, ExportDownloadFilter, GraphqlApiModule } from '@app/api';
import { ExportsModule } from '@app/exports';

/** The reporting API: GraphQL, and the CSV files of export runs. */
@Module({
  imports: [GraphqlApiModule, ExportsModule],
  controllers: [ExportDownloadController],
  providers: [ExportDownloadFilter],
})
export class ApiModule {}
