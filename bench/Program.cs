// Benchmarks arrive with the features they measure; see README "Benchmarks".
Console.WriteLine("usage: dotnet run -c Release --project bench -- <benchmark>");
return 1;
