%% OTP megaco's text encoders as an oracle for the softswitch's H.248 codec.
%% Reads lines on stdin:
%%   D <base64>     decode with megaco_pretty_text_encoder (or the compact one when the text
%%                  starts with "!/"); prints "OK <base64 pretty> <base64 compact>" (the decoded
%%                  record written again by both OTP encoders) or "ERR <reason>"
%%   S              prints "SAMPLE <name> <base64 pretty> <base64 compact>" for records built
%%                  here, then "END"
%%   Q              quits
%% Started as: erl -noshell -pa DIR -s ssw_oracle main
-module(ssw_oracle).
-export([main/0]).

-include_lib("megaco/include/megaco.hrl").
-include_lib("megaco/include/megaco_message_v1.hrl").

main() ->
    loop().

loop() ->
    case io:get_line(standard_io, '') of
        eof -> halt(0);
        {error, _} -> halt(0);
        Line ->
            case string:trim(Line) of
                "D " ++ B64 -> decode(base64:decode(B64));
                "S" -> samples();
                "Q" -> halt(0);
                Other -> io:format("ERR unknown_command ~s~n", [Other])
            end,
            loop()
    end.

decode(Bin) ->
    Mod = case Bin of
              <<"!/", _/binary>> -> megaco_compact_text_encoder;
              _ -> megaco_pretty_text_encoder
          end,
    case catch Mod:decode_message([], dynamic, Bin) of
        {ok, Msg} ->
            V = version_of(Msg),
            case {catch megaco_pretty_text_encoder:encode_message([], V, Msg),
                  catch megaco_compact_text_encoder:encode_message([], V, Msg)} of
                {{ok, P}, {ok, C}} ->
                    io:format("OK ~s ~s~n", [base64:encode(P), base64:encode(C)]);
                Err ->
                    io:format("ERR reencode ~s~n", [oneline(Err)])
            end;
        Err ->
            io:format("ERR ~s~n", [oneline(Err)])
    end.

%% Written again in the version it arrived in (v3 carries segments).
version_of(#'MegacoMessage'{mess = #'Message'{version = V}}) -> V.

oneline(T) ->
    S = lists:flatten(io_lib:format("~w", [T])),
    lists:sublist([case C of $\n -> $\s; _ -> C end || C <- S], 2000).

samples() ->
    [begin
         {ok, P} = megaco_pretty_text_encoder:encode_message([], version_of(M), M),
         {ok, C} = megaco_compact_text_encoder:encode_message([], version_of(M), M),
         io:format("SAMPLE ~s ~s ~s~n", [Name, base64:encode(P), base64:encode(C)])
     end || {Name, M} <- sample_records()],
    io:format("END~n").

msg(Mid, Body) ->
    #'MegacoMessage'{mess = #'Message'{version = 1, mId = Mid, messageBody = Body}}.

%% Version 3 records that differ from v1 are written as tuples (the v1 and v3 headers
%% define records of the same names): 'TransactionReply' gains segmentNumber and
%% segmentationComplete, 'SegmentReply' is new (megaco_message_v3.hrl).
msg3(Mid, Body) ->
    #'MegacoMessage'{mess = #'Message'{version = 3, mId = Mid, messageBody = Body}}.

reply3(Id, Result, SegNo, Complete) ->
    {'TransactionReply', Id, asn1_NOVALUE, Result, SegNo, Complete}.

segment_records() ->
    Audit = fun(Term) -> {actionReplies, [#'ActionReply'{contextId = ?megaco_null_context_id,
                                                         commandReply = [{auditValueReply, {auditResult, #'AuditResult'{
                                                             terminationID = tid(["tdm", "1", Term]),
                                                             terminationAuditResult = [{packagesDescriptor, [#'PackagesItem'{packageName = "g", packageVersion = 1}]}]}}}]}]} end,
    [{"segment_1", msg3(mg(), {transactions, [{transactionReply, reply3(4711, Audit("1"), 1, asn1_NOVALUE)}]})},
     {"segment_2_end", msg3(mg(), {transactions, [{transactionReply, reply3(4711, Audit("2"), 2, 'NULL')}]})},
     {"segment_error_end", msg3(mg(), {transactions, [{transactionReply, reply3(4712, {transactionError, #'ErrorDescriptor'{errorCode = 500}}, 3, 'NULL')}]})},
     {"segment_reply", msg3(mgc(), {transactions, [{segmentReply, {'SegmentReply', 4711, 1, asn1_NOVALUE}}]})},
     {"segment_reply_end", msg3(mgc(), {transactions, [{segmentReply, {'SegmentReply', 4711, 2, 'NULL'}}]})}].

mg() -> {ip4Address, #'IP4Address'{address = [124, 124, 124, 222], portNumber = 55555}}.
mgc() -> {domainName, #'DomainName'{name = "mgc.example.net", portNumber = 2944}}.

tid(Parts) -> #megaco_term_id{id = Parts}.

req(Id, Actions) -> {transactions, [{transactionRequest, #'TransactionRequest'{transactionId = Id, actions = Actions}}]}.

cmd(C) -> #'CommandRequest'{command = C}.

sdp(Lines) -> [#'PropertyParm'{name = N, value = [V]} || {N, V} <- Lines].

sample_records() ->
    SCP = #'ServiceChangeParm'{serviceChangeMethod = restart,
                               serviceChangeReason = ["901 Cold Boot"],
                               serviceChangeDelay = 15,
                               serviceChangeVersion = 1,
                               serviceChangeProfile = #'ServiceChangeProfile'{profileName = "resgw", version = 1},
                               timeStamp = #'TimeNotation'{date = "20240102", time = "10111213"}},
    ServiceChange = msg(mg(), req(9998, [#'ActionRequest'{contextId = ?megaco_null_context_id,
                                                         commandRequests = [cmd({serviceChangeReq,
                                                                                 #'ServiceChangeRequest'{terminationID = [?megaco_root_termination_id],
                                                                                                         serviceChangeParms = SCP}})]}])),
    Local = #'LocalRemoteDescriptor'{propGrps = [sdp([{"v", "0"}, {"c", "IN IP4 124.124.124.222"}, {"m", "audio 2222 RTP/AVP 4"}])]},
    SP = #'StreamParms'{localControlDescriptor = #'LocalControlDescriptor'{streamMode = sendRecv, reserveValue = true},
                        localDescriptor = Local},
    MD = #'MediaDescriptor'{streams = {multiStream, [#'StreamDescriptor'{streamID = 1, streamParms = SP}]}},
    AddReply = msg(mg(), {transactions, [{transactionReply, #'TransactionReply'{
        transactionId = 10003, immAckRequired = 'NULL',
        transactionResult = {actionReplies, [#'ActionReply'{contextId = 2000,
                                                            commandReply = [{addReply, #'AmmsReply'{terminationID = [tid(["tdm", "1", "17"])]}},
                                                                            {addReply, #'AmmsReply'{terminationID = [tid(["rtp", "00056"])],
                                                                                                    terminationAudit = [{mediaDescriptor, MD}]}}]}]}}}]}),
    OE = #'ObservedEvent'{eventName = "dd/ce",
                          eventParList = [#'EventParameter'{eventParameterName = "ds", value = ["916135551212"]},
                                          #'EventParameter'{eventParameterName = "meth", value = ["um"]}],
                          timeNotation = #'TimeNotation'{date = "19990729", time = "22010001"}},
    Notify = msg(mg(), req(10001, [#'ActionRequest'{contextId = 5,
                                                   commandRequests = [cmd({notifyReq, #'NotifyRequest'{
                                                       terminationID = [tid(["user", "11111"])],
                                                       observedEventsDescriptor = #'ObservedEventsDescriptor'{requestId = 2223, observedEventLst = [OE]}}})]}])),
    Events = #'EventsDescriptor'{requestID = 2222,
                                 eventList = [#'RequestedEvent'{pkgdName = "al/of",
                                                                evParList = [#'EventParameter'{eventParameterName = "strict", value = ["state"]}]},
                                              #'RequestedEvent'{pkgdName = "al/on",
                                                                eventAction = #'RequestedActions'{keepActive = true}}]},
    Signals = [{signal, #'Signal'{signalName = "an/apf", sigType = timeOut, duration = 300,
                                  sigParList = [#'SigParameter'{sigParameterName = "an", value = ["20"]}]}},
               {seqSigList, #'SeqSigList'{id = 3, signalList = [#'Signal'{signalName = "cg/rt"}]}}],
    DM = #'DigitMapDescriptor'{digitMapName = "dialplan00",
                               digitMapValue = #'DigitMapValue'{startTimer = 4, digitMapBody = "(0s|00s|[1-7]xlxx|8lxxxxxxx)"}},
    TS = #'TerminationStateDescriptor'{serviceState = inSvc, eventBufferControl = off,
                                       propertyParms = [#'PropertyParm'{name = "tdmc/ec", value = ["on"]}]},
    Modify = msg(mgc(), req(9999, [#'ActionRequest'{contextId = ?megaco_null_context_id,
                                                   commandRequests = [cmd({modReq, #'AmmRequest'{
                                                       terminationID = [tid(["user", "11111"])],
                                                       descriptors = [{mediaDescriptor, #'MediaDescriptor'{termStateDescr = TS}},
                                                                      {eventsDescriptor, Events},
                                                                      {signalsDescriptor, Signals},
                                                                      {digitMapDescriptor, DM}]}})]}])),
    SubReply = msg(mg(), {transactions, [{transactionReply, #'TransactionReply'{
        transactionId = 50008,
        transactionResult = {actionReplies, [#'ActionReply'{contextId = 2000,
                                                            commandReply = [{subtractReply, #'AmmsReply'{
                                                                terminationID = [tid(["rtp", "00056"])],
                                                                terminationAudit = [{statisticsDescriptor,
                                                                                     [#'StatisticsParameter'{statName = "nt/os", statValue = ["45123"]},
                                                                                      #'StatisticsParameter'{statName = "nt/dur", statValue = ["40"]}]}]}}]}]}}}]}),
    Audit = msg(mgc(), req(42, [#'ActionRequest'{contextId = ?megaco_all_context_id,
                                                commandRequests = [cmd({auditValueRequest, #'AuditRequest'{
                                                    terminationID = tid(["tdm", "1", "17"]),
                                                    auditDescriptor = #'AuditDescriptor'{auditToken = [mediaToken, packagesToken]}}})]}])),
    AuditReply = msg(mg(), {transactions, [{transactionReply, #'TransactionReply'{
        transactionId = 42,
        transactionResult = {actionReplies, [#'ActionReply'{contextId = 2000,
                                                            commandReply = [{auditValueReply, {auditResult, #'AuditResult'{
                                                                terminationID = tid(["tdm", "1", "17"]),
                                                                terminationAuditResult = [{packagesDescriptor, [#'PackagesItem'{packageName = "g", packageVersion = 1},
                                                                                                                #'PackagesItem'{packageName = "nt", packageVersion = 1}]}]}}}]}]}}}]}),
    PendingAck = msg(mg(), {transactions, [{transactionPending, #'TransactionPending'{transactionId = 10005}},
                                           {transactionResponseAck, [#'TransactionAck'{firstAck = 3},
                                                                     #'TransactionAck'{firstAck = 7, lastAck = 9}]}]}),
    ErrorReply = msg(mg(), {transactions, [{transactionReply, #'TransactionReply'{
        transactionId = 10006,
        transactionResult = {transactionError, #'ErrorDescriptor'{errorCode = 422, errorText = "Syntax Error in Action"}}}}]}),
    MessageError = msg(mgc(), {messageError, #'ErrorDescriptor'{errorCode = 400, errorText = "Syntax error in message"}}),
    Topology = msg(mgc(), req(77, [#'ActionRequest'{contextId = 2000,
                                                   contextRequest = #'ContextRequest'{priority = 3, emergency = true,
                                                                                      topologyReq = [#'TopologyRequest'{terminationFrom = tid(["tdm", "1", "17"]),
                                                                                                                        terminationTo = tid(["rtp", "00056"]),
                                                                                                                        topologyDirection = oneway}]},
                                                   commandRequests = [cmd({subtractReq, #'SubtractRequest'{terminationID = [tid(["tdm", "1", "17"])]}})]}])),
    [{"service_change", ServiceChange}, {"add_reply", AddReply}, {"notify", Notify}, {"modify", Modify},
     {"subtract_reply", SubReply}, {"audit", Audit}, {"audit_reply", AuditReply}, {"pending_ack", PendingAck},
     {"error_reply", ErrorReply}, {"message_error", MessageError}, {"topology", Topology}] ++ segment_records().
